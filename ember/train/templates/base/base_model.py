import ember.nn as nn


class BaseModel(nn.Module):
    """Base class of the project's models: printing one shows the number of trainable parameters."""

    def forward(self, *inputs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __str__(self):
        n = sum(p.numel() for p in self.parameters() if p.requires_grad)
        return f"{super().__str__()}\nTrainable parameters: {n:,}"
