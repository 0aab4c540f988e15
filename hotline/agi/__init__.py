"""hotline.agi"""
