"""Cases for tests/test_tamper.py: correct answers a student could write, and attacks.

VARIANTS: lesson -> list of submissions, each {grade_id: the answer cell, "+": scratch cells}.
Every variant is a correct answer in another style than the reference (nn.Module with setattr,
F vs nn, optimizers through p.data, magics, files of the student's own folder...): none may be
flagged. ATTACKS: (name, lesson, grade_id or "+" for a new cell, code, what the reason says).
"""

VARIANTS: dict[str, list[dict[str, str | list[str]]]] = {
    "01_requires_grad": [
        {
            "linear": "def linear(x, W, b):\n    return torch.matmul(x, W.t()) + b\n",
            "make_params": (
                "import math\n\n"
                "def make_params(n_in, n_out):\n"
                "    W = torch.randn(n_out, n_in) * (1.0 / math.sqrt(n_in))\n"
                "    W.requires_grad = True\n"
                "    b = torch.zeros(n_out)\n"
                "    b.requires_grad_(True)\n"
                "    return W, b\n"
            ),
            "+": ["torch.manual_seed(0)\nprint(linear(torch.ones(2, 3), torch.ones(4, 3), torch.zeros(4)))\n"],
        },
        {
            "linear": "import torch.nn.functional as F\n\ndef linear(x, W, b):\n    return F.linear(x, W, b)\n",
            "frozen_copy": "def frozen_copy(t):\n    with torch.no_grad():\n        copia = t.clone()\n    return copia\n",
            "gets_grad": (
                "def gets_grad(tensors):\n"
                "    nomes = []\n"
                "    for nome, t in tensors.items():\n"
                "        if t.requires_grad and t.grad_fn is None:\n"
                "            nomes.append(nome)\n"
                "    return nomes\n"
            ),
        },
        {
            "linear": "def linear(x, W, b):\n    return x.mm(W.transpose(0, 1)).add(b)\n",
            "make_params": (
                "from torch import nn\n\n"
                "def make_params(n_in, n_out):\n"
                "    W = torch.empty(n_out, n_in)\n"
                "    nn.init.normal_(W, std=n_in ** -0.5)\n"
                "    return W.requires_grad_(), torch.zeros(n_out, requires_grad=True)\n"
            ),
            "frozen_copy": "def frozen_copy(t):\n    return torch.tensor(t.detach().numpy().copy(), dtype=t.dtype)\n",
            "gets_grad": "def gets_grad(tensors):\n    return list(filter(lambda k: tensors[k].is_leaf and tensors[k].requires_grad, tensors))\n",
            "+": ["%matplotlib inline\nx = torch.linspace(-1, 1, 5, requires_grad=True)\n(x ** 2).sum().backward()\nx.grad\n"],
        },
    ],
    "02_backward": [
        {
            "vjp": (
                "def vjp(f, x, v):\n"
                "    x = x.detach().clone()\n"
                "    x.requires_grad = True\n"
                "    (g,) = torch.autograd.grad(f(x), x, grad_outputs=v)\n"
                "    return g\n"
            ),
            "zero_grads": "def zero_grads(params):\n    for p in params:\n        if p.grad is not None:\n            p.grad.zero_()\n",
        },
        {
            "accumulated_grad": (
                "def accumulated_grad(f, x0, times):\n"
                "    x = torch.tensor(float(x0), requires_grad=True)\n"
                "    i = 0\n"
                "    while i < times:\n"
                "        y = f(x)\n"
                "        y.backward()\n"
                "        i += 1\n"
                "    return float(x.grad)\n"
            ),
            "accumulate_microbatches": (
                "def accumulate_microbatches(model, loss_fn, x, y, n_micro):\n"
                "    for p in model.parameters():\n"
                "        p.grad = None\n"
                "    soma = 0.0\n"
                "    for xs, ys in zip(torch.chunk(x, n_micro), torch.chunk(y, n_micro)):\n"
                "        perda = loss_fn(model(xs), ys) / n_micro\n"
                "        perda.backward()\n"
                "        soma = soma + float(perda)\n"
                "    return soma\n"
            ),
        },
        {
            "vjp": (
                "def vjp(f, x, v):\n"
                "    leaf = x.clone().detach().requires_grad_()\n"
                "    out = f(leaf)\n"
                "    torch.autograd.backward(out, grad_tensors=v)\n"
                "    return leaf.grad.detach()\n"
            ),
            "zero_grads": "def zero_grads(params):\n    for p in list(params):\n        p.grad = None\n",
            "+": ["%%time\nw = torch.tensor(3.0, requires_grad=True)\nfor _ in range(3):\n    (w * 2).backward()\nprint(w.grad)\n"],
        },
    ],
    "03_manual_gradients": [
        {
            "grad_square": "def grad_square(x: torch.Tensor) -> torch.Tensor:\n    return x * 2\n",
            "grad_poly": "def grad_poly(x, y):\n    dfdx = 4 * x\n    dfdy = 9 * y.pow(2)\n    return dfdx, dfdy\n",
            "predict": (
                "def predict(model, x):\n"
                "    model.eval()\n"
                "    with torch.inference_mode():\n"
                "        out = model(x)\n"
                "    return out\n"
            ),
        },
        {
            "numerical_grad": (
                "def numerical_grad(f, x, eps=1e-3):\n"
                "    flat = x.detach().flatten()\n"
                "    grad = torch.zeros_like(flat)\n"
                "    for i in range(flat.numel()):\n"
                "        plus, minus = flat.clone(), flat.clone()\n"
                "        plus[i] += eps\n"
                "        minus[i] -= eps\n"
                "        grad[i] = (f(plus.view_as(x)) - f(minus.view_as(x))) / (2 * eps)\n"
                "    return grad.view_as(x)\n"
            ),
            "linreg_grads": (
                "def linreg_grads(w, b, x, y):\n"
                "    erro = x @ w + b - y\n"
                "    dw = 2 * (x.T @ erro) / len(y)\n"
                "    db = 2 * erro.mean()\n"
                "    return dw, db\n"
            ),
        },
        {
            "predict": (
                "@torch.no_grad()\n"
                "def predict(model, x):\n"
                "    model.train(False)\n"
                "    return model(x)\n"
            ),
            "grad_square": "def grad_square(x):\n    grad = 2.0 * x\n    return grad\n",
            "+": ["import time\ninicio = time.perf_counter()\nprint(numerical_grad(lambda t: (t ** 2).sum(), torch.ones(3)))\n"
                  "print(time.perf_counter() - inicio)\n"],
        },
    ],
    "04_nn_module": [
        {
            "MLP": (
                "class MLP(nn.Module):\n"
                "    def __init__(self, input_size, hidden_size, output_size):\n"
                "        super().__init__()\n"
                "        sizes = [input_size, hidden_size, output_size]\n"
                "        for i in range(2):\n"
                "            setattr(self, f'fc{i + 1}', nn.Linear(sizes[i], sizes[i + 1]))\n"
                "        self.relu = nn.ReLU()\n"
                "\n"
                "    def forward(self, x):\n"
                "        x = x.view(x.size(0), -1)\n"
                "        return self.fc2(self.relu(self.fc1(x)))\n"
            ),
            "count_parameters": (
                "def count_parameters(model):\n"
                "    total = 0\n"
                "    for name, p in model.named_parameters():\n"
                "        if p.requires_grad:\n"
                "            total += p.numel()\n"
                "    return total\n"
            ),
        },
        {
            "MLP": (
                "import torch.nn.functional as F\n\n"
                "class MLP(nn.Module):\n"
                "    def __init__(self, input_size, hidden_size, output_size):\n"
                "        super(MLP, self).__init__()\n"
                "        self.fc1 = nn.Linear(input_size, hidden_size)\n"
                "        self.relu = nn.ReLU()\n"
                "        self.fc2 = nn.Linear(hidden_size, output_size)\n"
                "        nn.init.kaiming_uniform_(self.fc1.weight, nonlinearity='relu')\n"
                "\n"
                "    def forward(self, x):\n"
                "        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))\n"
            ),
            "mlp_sequential": (
                "from collections import OrderedDict\n\n"
                "def mlp_sequential(input_size, hidden_size, output_size):\n"
                "    return nn.Sequential(OrderedDict([\n"
                "        ('flatten', nn.Flatten()),\n"
                "        ('fc1', nn.Linear(input_size, hidden_size)),\n"
                "        ('relu', nn.ReLU()),\n"
                "        ('fc2', nn.Linear(hidden_size, output_size)),\n"
                "    ]))\n"
            ),
        },
        {
            "DeepMLP": (
                "class DeepMLP(nn.Module):\n"
                "    def __init__(self, sizes, dropout=0.0):\n"
                "        super().__init__()\n"
                "        self.layers = nn.ModuleList()\n"
                "        for a, b in zip(sizes, sizes[1:]):\n"
                "            self.layers.append(nn.Linear(a, b))\n"
                "        self.p = dropout\n"
                "        self.dropout = nn.Dropout(dropout)\n"
                "\n"
                "    def forward(self, x):\n"
                "        x = x.reshape(len(x), -1)\n"
                "        *hidden, last = self.layers\n"
                "        for layer in hidden:\n"
                "            x = self.dropout(torch.relu(layer(x)))\n"
                "        return last(x)\n"
            ),
            "count_parameters": "def count_parameters(model):\n    return sum(p.numel() for p in filter(lambda p: p.requires_grad, model.parameters()))\n",
            "+": [
                "model = MLP(784, 128, 10)\nwith torch.no_grad():\n    model.fc1.weight.data = torch.zeros_like(model.fc1.weight)\n"
                "    model.fc1.bias.fill_(0.1)\nprint(count_parameters(model))\n",
                "torch.save(model.state_dict(), 'meu_mlp.pt')\nmodel.load_state_dict(torch.load('meu_mlp.pt'))\n",
            ],
        },
    ],
    "05_losses": [
        {
            "softmax": (
                "def softmax(logits):\n"
                "    z = logits - logits.amax(dim=1, keepdim=True)\n"
                "    e = z.exp()\n"
                "    return e / e.sum(1, keepdim=True)\n"
            ),
            "mse": "def mse(pred, target):\n    return torch.mean((pred - target) ** 2)\n",
        },
        {
            "cross_entropy": (
                "def cross_entropy(logits, labels):\n"
                "    m = logits.max(dim=1, keepdim=True).values\n"
                "    log_z = m + torch.log(torch.exp(logits - m).sum(dim=1, keepdim=True))\n"
                "    log_p = logits - log_z\n"
                "    return -log_p.gather(1, labels.unsqueeze(1)).mean()\n"
            ),
            "cross_entropy_onehot": (
                "def cross_entropy_onehot(logits, targets):\n"
                "    log_probs = logits - logits.logsumexp(dim=1, keepdim=True)\n"
                "    per_example = -(targets * log_probs).sum(dim=1)\n"
                "    return per_example.mean()\n"
            ),
        },
        {
            "mse": "def mse(pred, target):\n    diff = pred - target\n    return diff.pow(2).sum() / diff.numel()\n",
            "cross_entropy": (
                "def cross_entropy(logits, labels):\n"
                "    n = logits.shape[0]\n"
                "    log_probs = logits - torch.logsumexp(logits, 1, keepdim=True)\n"
                "    total = 0\n"
                "    for i in range(n):\n"
                "        total = total - log_probs[i, labels[i]]\n"
                "    return total / n\n"
            ),
            "+": ["import numpy as np\nprobs = softmax(torch.tensor([[1.0, 2.0, 3.0]]))\nprint(np.round(probs.numpy(), 3))\n"],
        },
    ],
    "06_optimizers": [
        {
            "minimize": (
                "def minimize(f, x0, optimizer, lr, steps):\n"
                "    x = x0.clone().detach().requires_grad_(True)\n"
                "    if optimizer == 'sgd':\n"
                "        opt = torch.optim.SGD([x], lr=lr)\n"
                "    else:\n"
                "        opt = torch.optim.Adam([x], lr=lr)\n"
                "    for _ in range(steps):\n"
                "        opt.zero_grad()\n"
                "        loss = f(x)\n"
                "        loss.backward()\n"
                "        opt.step()\n"
                "    return x.detach()\n"
            ),
            "ManualSGD": (
                "class ManualSGD(torch.optim.Optimizer):\n"
                "    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0):\n"
                "        super(ManualSGD, self).__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay))\n"
                "\n"
                "    def step(self, closure=None):\n"
                "        for group in self.param_groups:\n"
                "            lr, mu, wd = group['lr'], group['momentum'], group['weight_decay']\n"
                "            for p in group['params']:\n"
                "                if p.grad is None:\n"
                "                    continue\n"
                "                g = p.grad.data + wd * p.data\n"
                "                state = self.state[p]\n"
                "                buf = state.setdefault('momentum_buffer', torch.zeros_like(p.data))\n"
                "                buf.mul_(mu).add_(g)\n"
                "                p.data.add_(buf, alpha=-lr)\n"
            ),
        },
        {
            "ManualAdam": (
                "class ManualAdam(torch.optim.Optimizer):\n"
                "    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):\n"
                "        super().__init__(params, {'lr': lr, 'betas': betas, 'eps': eps})\n"
                "\n"
                "    @torch.no_grad()\n"
                "    def step(self, closure=None):\n"
                "        for group in self.param_groups:\n"
                "            b1, b2 = group['betas']\n"
                "            for p in group['params']:\n"
                "                if p.grad is None:\n"
                "                    continue\n"
                "                st = self.state[p]\n"
                "                if len(st) == 0:\n"
                "                    st['step'] = 0\n"
                "                    st['exp_avg'] = torch.zeros_like(p)\n"
                "                    st['exp_avg_sq'] = torch.zeros_like(p)\n"
                "                st['step'] += 1\n"
                "                st['exp_avg'].lerp_(p.grad, 1 - b1)\n"
                "                st['exp_avg_sq'].mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)\n"
                "                m_hat = st['exp_avg'] / (1 - b1 ** st['step'])\n"
                "                v_hat = st['exp_avg_sq'] / (1 - b2 ** st['step'])\n"
                "                p.addcdiv_(m_hat, v_hat.sqrt().add_(group['eps']), value=-group['lr'])\n"
            ),
        },
        {
            "minimize": (
                "OPTIMIZERS = {'sgd': torch.optim.SGD, 'adam': torch.optim.Adam}\n\n"
                "def minimize(f, x0, optimizer, lr, steps):\n"
                "    x = torch.nn.Parameter(x0.detach().clone())\n"
                "    opt = OPTIMIZERS[optimizer]([x], lr=lr)\n"
                "    for step in range(steps):\n"
                "        opt.zero_grad(set_to_none=True)\n"
                "        f(x).backward()\n"
                "        opt.step()\n"
                "    return x.detach()\n"
            ),
            "ManualSGD": (
                "class ManualSGD(torch.optim.Optimizer):\n"
                "    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0):\n"
                "        super().__init__(params, {'lr': lr, 'momentum': momentum, 'weight_decay': weight_decay})\n"
                "\n"
                "    @torch.no_grad()\n"
                "    def step(self, closure=None):\n"
                "        for group in self.param_groups:\n"
                "            for p in group['params']:\n"
                "                if p.grad is None:\n"
                "                    continue\n"
                "                d_p = p.grad.add(p, alpha=group['weight_decay'])\n"
                "                if 'v' not in self.state[p]:\n"
                "                    self.state[p]['v'] = torch.zeros_like(p)\n"
                "                v = self.state[p]['v']\n"
                "                v.mul_(group['momentum']).add_(d_p)\n"
                "                p -= group['lr'] * v\n"
            ),
            "+": ["torch.set_printoptions(precision=4)\ntorch.backends.cudnn.deterministic = True\n"
                  "print(minimize(lambda x: (x ** 2).sum(), torch.ones(2), 'adam', 0.1, 10))\n"],
        },
    ],
    "07_training_loop": [
        {
            "train_one_epoch": (
                "def train_one_epoch(model, loader, loss_fn, optimizer, device):\n"
                "    model.train()\n"
                "    soma, n = 0.0, 0\n"
                "    for batch_idx, (inputs, targets) in enumerate(loader):\n"
                "        inputs = inputs.to(device)\n"
                "        targets = targets.to(device)\n"
                "        optimizer.zero_grad(set_to_none=True)\n"
                "        outputs = model(inputs)\n"
                "        loss = loss_fn(outputs, targets)\n"
                "        loss.backward()\n"
                "        optimizer.step()\n"
                "        soma += loss.item() * inputs.size(0)\n"
                "        n += inputs.size(0)\n"
                "    return soma / n\n"
            ),
            "evaluate": (
                "def evaluate(model, loader, loss_fn, device):\n"
                "    model.eval()\n"
                "    perdas, acertos, total = 0.0, 0, 0\n"
                "    with torch.inference_mode():\n"
                "        for x, y in loader:\n"
                "            x, y = x.to(device), y.to(device)\n"
                "            out = model(x)\n"
                "            perdas += loss_fn(out, y).item() * y.shape[0]\n"
                "            acertos += int((out.argmax(1) == y).sum())\n"
                "            total += y.shape[0]\n"
                "    return perdas / total, acertos / total\n"
            ),
        },
        {
            "fit": (
                "def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, device):\n"
                "    history = {'train_loss': [], 'val_loss': [], 'val_acc': []}\n"
                "    for _ in range(epochs):\n"
                "        tl = train_one_epoch(model, train_loader, loss_fn, optimizer, device)\n"
                "        vl, va = evaluate(model, val_loader, loss_fn, device)\n"
                "        for key, value in zip(history, (tl, vl, va)):\n"
                "            history[key].append(value)\n"
                "    return history\n"
            ),
            "train_mnist": (
                "def train_mnist(device):\n"
                "    torch.manual_seed(1)\n"
                "    torch.backends.cudnn.benchmark = True\n"
                "    loader, _ = mnist_loaders(batch_size=64, device=device, seed=1)\n"
                "    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)).to(device)\n"
                "    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)\n"
                "    loss_fn = nn.CrossEntropyLoss()\n"
                "    for epoch in range(3):\n"
                "        model.train()\n"
                "        for x, y in loader:\n"
                "            opt.zero_grad()\n"
                "            loss_fn(model(x), y).backward()\n"
                "            opt.step()\n"
                "    torch.save(model.state_dict(), 'modelo_mnist.pt')\n"
                "    return model\n"
            ),
        },
        {
            "train_mnist": (
                "class Net(nn.Module):\n"
                "    def __init__(self):\n"
                "        super().__init__()\n"
                "        self.conv = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))\n"
                "        self.head = nn.Linear(16 * 14 * 14, 10)\n"
                "\n"
                "    def forward(self, x):\n"
                "        return self.head(self.conv(x).flatten(1))\n"
                "\n"
                "def train_mnist(device):\n"
                "    loader, _ = mnist_loaders(batch_size=128, device=device, seed=0)\n"
                "    model = Net().to(device)\n"
                "    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)\n"
                "    for epoch in range(2):\n"
                "        for x, y in progress(loader, desc=f'época {epoch + 1}'):\n"
                "            optimizer.zero_grad()\n"
                "            loss = F.cross_entropy(model(x), y)\n"
                "            loss.backward()\n"
                "            optimizer.step()\n"
                "    return model\n"
            ),
            "+": [
                "import torch.nn.functional as F\nimport os\nos.environ['CUBLAS_WORKSPACE_CONFIG'] = ':4096:8'\n",
                "with open('minhas_notas.txt', 'w') as f:\n    f.write('lr 1e-3 funcionou melhor')\n",
            ],
        },
    ],
    "08_debugging": [
        {
            "diagnose": (
                "def diagnose(train_loss, val_loss):\n"
                "    if any(math.isnan(v) or math.isinf(v) for v in train_loss) or train_loss[-1] > train_loss[0]:\n"
                "        return 'diverging'\n"
                "    n = len(train_loss)\n"
                "    best = val_loss.index(min(val_loss))\n"
                "    if best < n - n // 3 and val_loss[-1] >= 1.1 * val_loss[best] and train_loss[-1] < train_loss[best]:\n"
                "        return 'overfitting'\n"
                "    a, b, c = train_loss[-3:]\n"
                "    if b < 0.99 * a and c < 0.99 * b:\n"
                "        return 'slow'\n"
                "    return 'ok'\n"
            ),
            "dead_parameters": (
                "def dead_parameters(model):\n"
                "    mortos = []\n"
                "    for nome, p in model.named_parameters():\n"
                "        if p.grad is None or torch.all(p.grad == 0):\n"
                "            mortos.append(nome)\n"
                "    return mortos\n"
            ),
        },
        {
            "log_history": (
                "def log_history(writer, history):\n"
                "    for epoch, (tl, vl, va) in enumerate(zip(history['train_loss'], history['val_loss'], history['val_acc'])):\n"
                "        writer.add_scalar('Loss/train', tl, epoch)\n"
                "        writer.add_scalar('Loss/val', vl, epoch)\n"
                "        writer.add_scalar('Accuracy/val', va, epoch)\n"
            ),
            "clipped_step": (
                "def clipped_step(model, loss_fn, x, y, optimizer, max_norm):\n"
                "    optimizer.zero_grad()\n"
                "    loss_fn(model(x), y).backward()\n"
                "    total = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=max_norm)\n"
                "    optimizer.step()\n"
                "    return total.item()\n"
            ),
        },
        {
            "clipped_step": (
                "def clipped_step(model, loss_fn, x, y, optimizer, max_norm):\n"
                "    optimizer.zero_grad()\n"
                "    loss = loss_fn(model(x), y)\n"
                "    loss.backward()\n"
                "    grads = [p.grad for p in model.parameters() if p.grad is not None]\n"
                "    norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))\n"
                "    scale = max_norm / (norm + 1e-6)\n"
                "    if scale < 1:\n"
                "        for g in grads:\n"
                "            g.mul_(scale)\n"
                "    optimizer.step()\n"
                "    return float(norm)\n"
            ),
            "dead_parameters": "def dead_parameters(model):\n    return [n for n, p in model.named_parameters() if p.grad is None or p.grad.abs().sum() == 0]\n",
            "+": [
                "from pathlib import Path\nPath('runs').mkdir(exist_ok=True)\n"
                "from torch.utils.tensorboard import SummaryWriter\nwriter = SummaryWriter('runs/meu_treino')\n",
                "def resumo(history):\n    len_ = len(history['train_loss'])\n    assert_close = 1e-3  # só um nome local\n"
                "    max = history['val_acc'][-1]\n    return len_, assert_close, max\n",
            ],
        },
    ],
}

SOURCE_NB = "source/01_requires_grad/01_requires_grad.ipynb"

# (name, lesson, grade_id of the cell that holds the code or "+" for a new cell, code, reason says)
ATTACKS: list[tuple[str, str, str, str, str]] = [
    ("lê a solução (caminho absoluto)", "01_requires_grad", "linear",
     f"import json\n_nb = json.load(open('/work/main/{SOURCE_NB}'))\n"
     "def linear(x, W, b):\n    return x @ W.T + b\n", "fora da pasta"),
    ("lê a solução (caminho relativo)", "01_requires_grad", "+",
     f"import json\nsolucoes = json.load(open('../../{SOURCE_NB}'))\n", "fora da pasta"),
    ("lê a solução com pathlib", "01_requires_grad", "+",
     "from pathlib import Path\ntexto = (Path('..') / '..' / 'source' / '01_requires_grad.ipynb').read_text()\n",
     "fora da pasta"),
    ("lista as pastas de cima", "01_requires_grad", "+", "import os\nprint(os.listdir('../..'))\n", "fora da pasta"),
    ("abre o gradebook", "01_requires_grad", "linear",
     "import sqlite3\ncon = sqlite3.connect('../../gradebook.db')\n"
     "def linear(x, W, b):\n    return x @ W.T + b\n", "sqlite3"),
    ("abre o gradebook dentro da função", "01_requires_grad", "make_params",
     "def make_params(n_in, n_out):\n    con = sqlite3.connect('../../gradebook.db')\n"
     "    return torch.zeros(n_out, n_in, requires_grad=True), torch.zeros(n_out, requires_grad=True)\n",
     "gradebook"),
    ("escreve helpers/checks.py", "01_requires_grad", "+",
     "open('../../helpers/checks.py', 'w').write('def assert_close(*a, **k): pass')\n", "fora da pasta"),
    ("escreve helpers/checks.py pelo __file__", "01_requires_grad", "+",
     "import helpers.checks\nwith open(helpers.checks.__file__, 'a') as f:\n    f.write('\\n')\n", "__file__"),
    ("troca um checker de helpers.checks", "01_requires_grad", "+",
     "import helpers.checks\nhelpers.checks.assert_close = lambda *a, **k: None\n", "helpers.checks.assert_close"),
    ("troca pelo __dict__", "01_requires_grad", "+",
     "import helpers.checks as c\nc.__dict__['assert_close'] = lambda *a, **k: None\n", "helpers.checks.__dict__"),
    ("troca torch.testing.assert_close", "01_requires_grad", "+",
     "torch.testing.assert_close = lambda *a, **k: None\n", "torch.testing.assert_close"),
    ("troca torch.allclose", "01_requires_grad", "linear",
     "torch.allclose = lambda *a, **k: True\ndef linear(x, W, b):\n    return x\n", "torch.allclose"),
    ("troca torch.equal", "01_requires_grad", "+", "torch.equal = lambda *a, **k: True\n", "torch.equal"),
    ("troca com setattr", "01_requires_grad", "+",
     "setattr(torch, 'allclose', lambda *a, **k: True)\n", "torch.allclose"),
    ("troca por um apelido", "01_requires_grad", "+",
     "import torch as t\nt.equal = lambda *a, **k: True\n", "torch.equal"),
    ("troca pelo submódulo importado", "01_requires_grad", "+",
     "from torch import testing\ntesting.assert_close = print\n", "torch.testing.assert_close"),
    ("troca por vars()", "01_requires_grad", "+", "vars(torch)['equal'] = lambda *a: True\n", "torch.__dict__"),
    ("troca dentro da função corrigida", "01_requires_grad", "linear",
     "def linear(x, W, b):\n    import helpers.checks\n    helpers.checks.expect = lambda *a, **k: None\n    return x\n",
     "helpers.checks.expect"),
    ("troca sys.modules", "01_requires_grad", "+",
     "import sys, types\nfake = types.ModuleType('helpers.checks')\nsys.modules['helpers.checks'] = fake\n",
     "sys.modules"),
    ("apaga a verificação de integridade", "01_requires_grad", "+",
     "import sys\ndel sys.modules['helpers.integrity']\n", "sys.modules"),
    ("transformador de entrada", "01_requires_grad", "+",
     "get_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])\n", "input_transformers_post"),
    ("transformador pelo shell num nome", "01_requires_grad", "+",
     "def f(lines):\n    return ['pass\\n']\nip = get_ipython()\nip.input_transformers_cleanup.insert(0, f)\n",
     "input_transformers_cleanup"),
    ("evento do IPython", "01_requires_grad", "+",
     "from IPython import get_ipython\nget_ipython().events.register('pre_run_cell', print)\n", "events"),
    ("engole erros", "01_requires_grad", "+",
     "get_ipython().set_custom_exc((AssertionError,), lambda *a, **k: None)\n", "set_custom_exc"),
    ("esconde o traceback", "01_requires_grad", "+",
     "shell = get_ipython()\nshell.showtraceback = lambda *a, **k: None\n", "showtraceback"),
    ("exec de texto", "01_requires_grad", "+", "exec('torch.equal = f')\n", "exec"),
    ("__import__", "01_requires_grad", "+", "__import__('torch').allclose = max\n", "torch.allclose"),
    ("redefine assert_close", "01_requires_grad", "+", "def assert_close(*a, **k):\n    pass\n",
     "redefine assert_close"),
    ("redefine expect por import", "01_requires_grad", "+",
     "from builtins import print as expect\n", "redefine expect"),
    ("redefine pela global", "01_requires_grad", "linear",
     "def linear(x, W, b):\n    global assert_close\n    assert_close = lambda *a, **k: None\n    return x\n",
     "redefine assert_close"),
    ("escreve em globals()", "01_requires_grad", "+",
     "globals()['assert_close'] = lambda *a, **k: None\n", "globals()"),
    ("troca isinstance", "02_backward", "+", "import builtins\nbuiltins.isinstance = lambda *a: True\n",
     "builtins.isinstance"),
    ("esconde isinstance no notebook", "02_backward", "+", "isinstance = lambda *a: True\n", "isinstance"),
    ("troca __builtins__", "02_backward", "+", "__builtins__.len = lambda x: 3\n", "builtins.len"),
    ("troca Tensor.backward", "02_backward", "+", "torch.Tensor.backward = lambda *a, **k: None\n",
     "torch.Tensor.backward"),
    ("frames da pilha", "02_backward", "vjp",
     "import sys\ndef vjp(f, x, v):\n    sys._getframe(1).f_globals['assert_close'] = print\n    return v\n",
     "f_globals"),
    ("ataque dentro de %%time", "01_requires_grad", "+", "%%time\ntorch.equal = lambda *a: True\n", "torch.equal"),
    ("ataque dentro de %time", "01_requires_grad", "+", "%time torch.equal = lambda *a: True\n", "torch.equal"),
    ("comando de shell", "01_requires_grad", "+", f"!cat ../../{SOURCE_NB}\n", "shell"),
    ("mágica %cd", "01_requires_grad", "+", "%cd ../..\n", "%cd"),
    ("mock.patch", "05_losses", "+", "from unittest import mock\nmock.patch('torch.equal', max).start()\n", "unittest.mock"),
    ("subprocess", "05_losses", "+", "import subprocess\nsubprocess.run(['ls', '..'])\n", "subprocess"),
    ("valor que mente", "08_debugging", "diagnose",
     "class Sempre(str):\n    def __eq__(self, other):\n        return True\n\n"
     "def diagnose(train_loss, val_loss):\n    return Sempre('ok')\n", "__eq__"),
    ("recarrega a verificação", "07_training_loop", "+",
     "import importlib, helpers.integrity\nimportlib.reload(helpers.integrity)\n", "importlib.reload"),
    ("getattr com nome montado", "07_training_loop", "+",
     "import builtins\nnome = 'ex' + 'ec'\ngetattr(builtins, nome)('torch.equal = max')\n", "getattr"),
    ("laço com alvo em torch", "06_optimizers", "+", "for torch.allclose in [max]:\n    pass\n", "torch.allclose"),
    ("os.path.join até o gradebook", "06_optimizers", "+",
     "import os\ncaminho = os.path.join('..', '..', 'gradebook.db')\nprint(open(caminho, 'rb').read(10))\n",
     "fora da pasta"),
    ("troca pelo retorno de uma função", "01_requires_grad", "+",
     "def modulo():\n    return torch\nmodulo().allclose = max\n", "allclose"),
    ("troca por um parâmetro", "01_requires_grad", "+",
     "def troca(t=torch):\n    setattr(t, 'equal', max)\ntroca()\n", "equal"),
    ("troca num dicionário de globals", "01_requires_grad", "+",
     "def troca(g):\n    g['assert_close'] = print\ntroca(globals())\n", "assert_close"),
]
