"""hotline.metrics"""
