"""hotline.web"""
