"""`python -m ember.demo`: train a small MLP on synthetic data and print the loss falling.

(The training CLI, `ember train`, replaces this as the main job once it lands.)"""
import ember


def main(steps=200, seed=0):
    ember.manual_seed(seed)
    n, d, k = 512, 20, 4
    x = ember.randn(n, d)
    true_w = ember.randn(d, k)
    y = (x @ true_w).argmax(1)
    w1 = (ember.randn(d, 64) * (1 / d ** 0.5)).requires_grad_()
    b1 = ember.zeros(64, requires_grad=True)
    w2 = (ember.randn(64, k) * (1 / 8)).requires_grad_()
    b2 = ember.zeros(k, requires_grad=True)
    params = [w1, b1, w2, b2]
    lr = 0.5
    for step in range(steps + 1):
        h = (x @ w1 + b1).relu()
        logits = h @ w2 + b2
        logp = logits - logits.exp().sum(1, keepdim=True).log()
        loss = -logp[ember.arange(n), y].mean()
        for p in params:
            p.grad = None
        loss.backward()
        with ember.no_grad():
            for p in params:
                p -= lr * p.grad
        if step % 20 == 0:
            acc = (logits.argmax(1) == y).float().mean().item() if hasattr(logits, "argmax") else float("nan")
            print(f"step {step:4d}  loss {loss.item():.4f}  acc {acc:.3f}")
    return loss.item()


if __name__ == "__main__":
    main()
