"""paydesk.core"""
