"""hotline.queue"""
