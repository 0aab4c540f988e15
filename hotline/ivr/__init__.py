"""hotline.ivr"""
