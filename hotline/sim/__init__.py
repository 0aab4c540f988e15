"""hotline.sim"""
