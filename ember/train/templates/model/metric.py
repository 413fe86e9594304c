import ember


def accuracy(output, target):
    with ember.no_grad():
        pred = output.argmax(dim=1)
        return (pred == target).sum().item() / len(target)


def top_k_acc(output, target, k=3):
    with ember.no_grad():
        top = output.topk(k, dim=1).indices
        return (top == target.unsqueeze(1)).any(dim=1).sum().item() / len(target)
