"""What-if studies: policy scenarios against a baseline on common random numbers."""
