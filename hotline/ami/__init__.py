"""hotline.ami"""
