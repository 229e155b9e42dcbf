"""paydesk.reconcile"""
