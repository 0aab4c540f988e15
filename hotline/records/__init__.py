"""hotline.records"""
