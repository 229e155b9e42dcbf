"""paydesk.webhooks"""
