"""paydesk.checkout"""
