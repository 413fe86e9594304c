"""Recurrent layers: RNN, LSTM, GRU and their cells (torch.nn.RNN ...)."""
__all__ = []
