"""hotline.controller"""
