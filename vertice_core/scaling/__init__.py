"""The scaler controller: replicas driven by Prometheus metrics (see docs/autoscaling.md)."""
