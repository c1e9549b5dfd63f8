# %% [markdown]
# # Aula 07 — O loop de treinamento: treinando uma rede de verdade no MNIST
#
# Até aqui vimos as peças separadas: tensores que rastreiam gradientes, `backward()`, módulos,
# funções de perda e otimizadores. Nesta aula elas viram um **loop de treinamento** (*training
# loop*) completo, que treina uma rede nos 60.000 dígitos manuscritos do MNIST, e você termina
# treinando o seu próprio modelo, corrigido pela acurácia que ele alcança.
#
# **Objetivos**
#
# - Carregar o MNIST com `Dataset` + `DataLoader` (o caminho padrão do PyTorch) e com os loaders
#   rápidos do curso, e medir a diferença de velocidade entre os dois.
# - Escrever os quatro passos do treino (forward, perda, backward, step) para uma **época**
#   inteira, com `model.train()`, os dados no device e a perda média por exemplo.
# - Avaliar um modelo do jeito certo: `model.eval()`, `torch.no_grad()`, perda e acurácia
#   ponderadas pelo tamanho de cada batch.
# - Juntar tudo em `fit`, acompanhar o treino com uma barra de progresso e um gráfico ao vivo,
#   guardar o melhor modelo com `state_dict` e repetir um treino com a mesma semente.
# - Treinar o seu modelo no MNIST até pelo menos 97% de acurácia no conjunto de teste.
#
# Tempo estimado: 45 min (+ 15 min de aprofundamento opcional)

# %%
import contextlib
import copy
import os
import tempfile
import time

import torch
from IPython.display import display
from torch import nn

from helpers.loaders import TensorLoader, mnist_dataloaders, mnist_loaders, mnist_transform
from helpers.plots import LivePlot, plot_digits, plot_loss_curves
from helpers.progress import progress

# Na correção automática (NBGRADER_EXECUTION definida) as demonstrações usam menos dados,
# para o notebook inteiro rodar rápido; os limites de nota não mudam.
GRADING = bool(os.environ.get("NBGRADER_EXECUTION"))


@contextlib.contextmanager
def if_answered(*exercises):
    """Roda o bloco; se um exercício ainda não foi respondido, avisa em vez de parar o notebook."""
    try:
        yield
    except NotImplementedError:
        print(f"(Responda {' e '.join(exercises)} para ver esta célula funcionando.)")


# %% [markdown]
# ## 1. Os dados: `Dataset` e `DataLoader`
#
# O **MNIST** tem 70.000 imagens 28×28 em tons de cinza de dígitos manuscritos (0 a 9): 60.000
# de treino e 10.000 de teste. O `torchvision` sabe lê-lo como um **`Dataset`**: um objeto com
# `len(dataset)` e `dataset[i]`, que devolve o par (imagem, rótulo) de índice `i`. Cada imagem
# passa por uma transformação quando é pedida; a do texto-base:
#
# - `ToTensor()`: imagem PIL com pixels de 0 a 255 → tensor `float32` de shape `(1, 28, 28)`
#   com valores em $[0, 1]$;
# - `Normalize((0.5,), (0.5,))`: $(x - 0{,}5) / 0{,}5$, valores em $[-1, 1]$.
#
# O **`DataLoader`** (`torch.utils.data.DataLoader`) embrulha o dataset e:
#
# - junta os exemplos em **mini-batches** de `batch_size` exemplos (tensores `(N, 1, 28, 28)` e
#   `(N,)`);
# - **embaralha** a ordem a cada época (`shuffle=True`; no teste não é preciso);
# - pode carregar em paralelo com processos auxiliares (`num_workers`; aqui 0, porque no Windows
#   eles são lentos ou quebram).
#
# O texto-base baixa o MNIST com `download=True`. Aqui `mnist_dataloaders` faz exatamente o mesmo
# (`Dataset` do torchvision + `DataLoader`), mas procura os arquivos primeiro no disco e só baixa
# o que falta: funciona sem internet quando os arquivos já estão na máquina.

# %%
print(mnist_transform())
std_train_loader, std_test_loader = mnist_dataloaders(batch_size=128)
print("treino:", len(std_train_loader.dataset), "imagens |",
      "teste:", len(std_test_loader.dataset), "imagens")

images, labels = next(iter(std_train_loader))
print("batch de imagens:", tuple(images.shape), images.dtype,
      f"valores de {images.min():.0f} a {images.max():.0f}")
print("batch de rótulos:", tuple(labels.shape), labels.dtype)
plot_digits(images, labels, max_images=16)

# %% [markdown]
# ### O caminho rápido do curso
#
# O `DataLoader` refaz `ToTensor` + `Normalize` em cada imagem, uma por uma, **a cada época**.
# Para um modelo pequeno isso custa mais do que o próprio treino. O MNIST inteiro cabe com folga
# na memória (60.000 × 784 floats ≈ 190 MB), então `mnist_loaders` faz essa conta **uma vez**,
# com os mesmos valores bit a bit, guarda tudo já no `device` (na GPU, quando há uma) e a cada
# época só sorteia a ordem. Ele se usa igual: `for x, y in loader`, `len(loader)`,
# `loader.dataset`.

# %%
train_loader, test_loader = mnist_loaders(batch_size=128, device=device)

x_fast, y_fast = next(iter(test_loader))  # o teste não embaralha: mesmas imagens nos dois
x_std, y_std = next(iter(std_test_loader))
print("mesmos valores, bit a bit:", torch.equal(x_fast.cpu(), x_std), torch.equal(y_fast.cpu(), y_std))
print("batch rápido já está em:", x_fast.device)

# %% [markdown]
# Quanto mais rápido? Medimos o tempo de pegar um batch e levá-lo ao device (sem treinar nada),
# num número limitado de batches de cada um. Os números dependem da máquina: rode de novo.

# %%
def seconds_per_batch(loader, n_batches):
    """Tempo médio para tirar um batch do loader e levá-lo ao device."""
    start = time.perf_counter()
    for i, (x, y) in enumerate(loader):
        x, y = x.to(device), y.to(device)
        if i + 1 == n_batches:
            break
    if device.type == "cuda":
        torch.cuda.synchronize()  # a GPU trabalha em paralelo com o Python: espere ela acabar
    return (time.perf_counter() - start) / n_batches


n_batches = 20 if GRADING else 100
t_std = seconds_per_batch(std_train_loader, n_batches)
t_fast = seconds_per_batch(train_loader, n_batches)
print(f"DataLoader padrão: {t_std * 1e3:7.3f} ms por batch -> uma época ({len(std_train_loader)} "
      f"batches) só de dados ≈ {t_std * len(std_train_loader):.1f} s")
print(f"loaders do curso:  {t_fast * 1e3:7.3f} ms por batch -> ≈ {t_fast * len(train_loader):.2f} s")
print(f"cerca de {t_std / t_fast:.0f}× mais rápido")

# %% [markdown]
# No resto da aula usamos `mnist_loaders`. O `DataLoader` continua sendo o caminho geral: dados
# que não cabem na memória, imagens lidas do disco, aumento de dados (*data augmentation*)
# sorteado a cada época. O loop de treinamento é o mesmo para os dois.
#
# ## 2. Os quatro passos de um treino
#
# Para cada batch, um passo de treino faz:
#
# 1. **Forward**: passa o batch pela rede e obtém as predições (os *logits*);
# 2. **Perda**: compara as predições com os rótulos usando a função de perda;
# 3. **Backward**: `loss.backward()` calcula o gradiente da perda em relação a cada parâmetro;
# 4. **Step**: `optimizer.step()` atualiza os parâmetros com esses gradientes.
#
# E antes do backward, `optimizer.zero_grad()`: os gradientes se **acumulam** em `.grad` (aula
# 02), e sem zerar o passo usaria a soma dos gradientes de todos os batches anteriores.
#
# O modelo: um MLP que começa com `nn.Flatten()`. Achatar a imagem `(N, 1, 28, 28)` em
# `(N, 784)` é trabalho **do modelo**, não do loop: assim o mesmo modelo serve para treinar,
# avaliar e prever, sem ninguém lembrar de fazer `view` antes.

# %%
def make_model():
    return nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 128), nn.ReLU(), nn.Linear(128, 10))


torch.manual_seed(0)
model = make_model().to(device)  # os parâmetros vão para o mesmo device dos dados
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

x, y = next(iter(train_loader))
for step in range(5):
    optimizer.zero_grad()      # zera os gradientes do passo anterior
    logits = model(x)          # 1. forward
    loss = loss_fn(logits, y)  # 2. perda
    loss.backward()            # 3. backward
    optimizer.step()           # 4. step
    print(f"passo {step}: perda = {loss.item():.4f}")

# %% [markdown]
# A perda cai: a rede está aprendendo (por enquanto, só este batch). Uma **época** (*epoch*) é
# uma passada por todos os batches do conjunto de treino.
#
# O loop do texto-base tem a ideia certa, mas quatro problemas que corrigimos aqui:
#
# - usa `device` sem defini-lo: aqui ele vem da célula de preparação do começo da aula
#   (`get_device()`), e o modelo vai para ele com `.to(device)`;
# - achata os dados dentro do loop (`data.view(...)`): aqui o modelo faz isso;
# - chama `model.train()` uma vez, fora do loop de épocas: se houver validação no meio, ela põe
#   o modelo em modo de avaliação e as épocas seguintes treinariam nesse modo. Chame
#   `model.train()` no começo de **cada** época;
# - só imprime a perda de um batch de vez em quando: para acompanhar o treino queremos a perda
#   **média da época**.
#
# Sobre essa média: 60.000 não é múltiplo de 128, então o último batch é menor.

# %%
sizes = [len(y) for _, y in train_loader]
print(f"{len(sizes)} batches: os primeiros com {sizes[0]} exemplos, o último com {sizes[-1]}")

# %% [markdown]
# `loss_fn` devolve a perda **média** do batch. A média da época, por exemplo, é
#
# $$\bar L = \frac{\sum_b L_b \, n_b}{\sum_b n_b},$$
#
# onde $L_b$ é a perda média do batch $b$ e $n_b$ o número de exemplos dele. A média simples das
# $L_b$ daria ao último batch, de 96 exemplos, o mesmo peso de um de 128. E some números, não
# tensores: `loss.item()` devolve um float do Python; somar o próprio `loss` manteria o grafo de
# todos os batches vivo na memória (veja "Erros comuns").
#
# ### Exercício 1 — `train_one_epoch` (5 pontos)
#
# Implemente `train_one_epoch(model, loader, loss_fn, optimizer, device)`, que treina o modelo
# por **uma época** e devolve a perda média por exemplo (um `float`):
#
# - coloque o modelo em modo de treino (ele pode chegar em modo de avaliação);
# - para cada batch `(x, y)` do loader: mova `x` e `y` para `device`, zere os gradientes, faça
#   o forward **com o batch como ele veio** (sem achatar: o modelo faz isso), calcule a perda,
#   o backward e o step;
# - devolva a média ponderada pelo tamanho dos batches.

# %% exercise="train_one_epoch"
def train_one_epoch(model, loader, loss_fn, optimizer, device) -> float:
    """Uma época de treino; devolve a perda média por exemplo."""
    ### BEGIN SOLUTION
    model.train()
    total_loss, total_samples = 0.0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * len(y)
        total_samples += len(y)
    return total_loss / total_samples
    ### END SOLUTION


# %% test="test_train_one_epoch" points=3
import math

import torch
from torch import nn
from helpers.checks import (ForwardRecorder, ImageClassifier, LossRecorder, StepRecorder, expect,
                            quietly, reseed, runtime_error_as_failure, unmoved)

LIST_LOADER = ("O loader pode ser qualquer iterável de batches (x, y), como esta lista (sem "
               ".dataset): conte os exemplos pelos próprios batches.")


def _check_gradients(seen, fresh):
    """seen[k]: os .grad no k-ésimo step; fresh[k]: o gradiente da perda do k-ésimo batch."""
    for k, (grads, own) in enumerate(zip(seen, fresh)):
        expect(all(g is not None for g in grads),
               f"No step do batch {k + 1} há parâmetros sem .grad: zere os gradientes antes do "
               "backward(), e o backward() vem antes do step().")
        if all(torch.allclose(g, f, atol=1e-6) for g, f in zip(grads, own)):
            continue
        summed = [sum(f[i] for f in fresh[: k + 1]) for i in range(len(own))]
        if k > 0 and all(torch.allclose(g, s, atol=1e-6) for g, s in zip(grads, summed)):
            raise AssertionError(
                f"No step do batch {k + 1} o .grad é a soma dos gradientes de todos os batches "
                "até ali: os gradientes se acumulam; zere-os a cada batch, antes do backward().")
        if all(not g.any() for g in grads):
            raise AssertionError(
                f"No step do batch {k + 1} os gradientes estavam zerados: zere-os antes do "
                "backward(), não entre o backward() e o step().")
        raise AssertionError(
            f"No step do batch {k + 1} o .grad não é o gradiente da perda desse batch: confira a "
            "ordem zero_grad, forward, perda, backward, step.")


def _check_epoch(model, batches, optimizer):
    """batches: lista de (x, y) que só viram tensores comuns depois de um .to(...)."""
    model.eval()  # train_one_epoch precisa ligar o modo de treino sozinha
    before = [p.detach().clone() for p in model.parameters()]
    loss_fn = LossRecorder(nn.CrossEntropyLoss(), model.parameters())
    with ForwardRecorder(model) as rec, StepRecorder(optimizer) as steps:
        with runtime_error_as_failure("train_one_epoch com uma lista de batches", LIST_LOADER):
            result = quietly(train_one_epoch, model, batches, loss_fn, optimizer,
                             torch.device("cpu"))
    n = len(batches)
    expect(len(rec.calls) >= n,
           f"O modelo foi chamado {len(rec.calls)} vezes para {n} batches: faça um forward por "
           "batch.")
    expect(all(training for training, _ in rec.calls),
           "O forward rodou em modo de avaliação: coloque o modelo em modo de treino no começo "
           "da época (ele pode chegar em modo eval).")
    expect(len(loss_fn.values) == n,
           f"A perda foi calculada {len(loss_fn.values)} vezes para {n} batches: uma por batch.")
    expect(len(steps.grads) == n,
           f"optimizer.step() foi chamado {len(steps.grads)} vezes para {n} batches: um por batch.")
    _check_gradients(steps.grads, loss_fn.grads)
    expect(any(not torch.equal(p, b) for p, b in zip(model.parameters(), before)),
           "Os parâmetros do modelo não mudaram depois da época.")
    expect(isinstance(result, float),
           f"train_one_epoch deve devolver um float (.item()), mas devolveu {type(result).__name__}.")
    weighted = sum(v * s for v, s in zip(loss_fn.values, loss_fn.sizes)) / sum(loss_fn.sizes)
    if not math.isclose(result, weighted, rel_tol=1e-5, abs_tol=1e-6):
        hint = ""
        if math.isclose(result, sum(loss_fn.values) / n, rel_tol=1e-5):
            hint = (" Parece a média simples das perdas dos batches: o último batch é menor, "
                    "pondere cada perda pelo número de exemplos do batch.")
        elif math.isclose(result, loss_fn.values[-1], rel_tol=1e-5):
            hint = " Parece a perda só do último batch."
        raise AssertionError(f"train_one_epoch devolveu {result:.6f}, mas a perda média por "
                             f"exemplo da época foi {weighted:.6f}.{hint}")


reseed(0)
_sizes = [8, 8, 8, 3]
_x = [torch.randn(n, 1, 4, 4) * (3 if n == 3 else 1) for n in _sizes]
_batches = [(unmoved(x), unmoved(torch.randint(0, 3, (len(x),)))) for x in _x]
_model = ImageClassifier()
_check_epoch(_model, _batches, torch.optim.SGD(_model.parameters(), lr=0.1, momentum=0.9))
### BEGIN HIDDEN TESTS
reseed()
for _sizes in ([5, 5, 5, 5, 1], [16, 9], [7]):
    _batches = [(unmoved(torch.randn(n, 1, 4, 4)), unmoved(torch.randint(0, 3, (n,))))
                for n in _sizes]
    _model = ImageClassifier(hidden=10)
    _check_epoch(_model, _batches, torch.optim.Adam(_model.parameters(), lr=0.01))
### END HIDDEN TESTS
print("train_one_epoch: testes visíveis OK")

# %% test="test_train_one_epoch_reference" points=2
import copy
import math

import torch
from torch import nn
from helpers.checks import (ImageClassifier, assert_close, expect, quietly, reseed,
                            runtime_error_as_failure)
from helpers.loaders import TensorLoader

# Com um loader de verdade (o do curso), o treino aprende: a perda cai de época em época.
reseed(0)
_data = TensorLoader(torch.randn(40, 1, 4, 4), torch.randint(0, 3, (40,)), batch_size=16,
                     shuffle=True, seed=0)
_model = ImageClassifier()
_optimizer = torch.optim.Adam(_model.parameters(), lr=0.02)
_losses = [quietly(train_one_epoch, _model, _data, nn.CrossEntropyLoss(), _optimizer, "cpu")
           for _ in range(6)]
expect(all(isinstance(v, float) and math.isfinite(v) for v in _losses),
       f"train_one_epoch deveria devolver floats finitos, mas devolveu {_losses}.")
expect(_losses[-1] < _losses[0],
       f"A perda de treino não caiu em 6 épocas ({_losses[0]:.4f} -> {_losses[-1]:.4f}).")
### BEGIN HIDDEN TESTS
def _reference_epoch(model, batches, loss_fn, optimizer):
    model.train()
    total, count = 0.0, 0
    for x, y in batches:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
        count += len(y)
    return total / count


reseed()
for _make_opt in (lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9),
                  lambda p: torch.optim.Adam(p, lr=0.01)):
    _batches = [(torch.randn(n, 1, 4, 4), torch.randint(0, 3, (n,))) for n in (6, 6, 6, 6, 2)]
    _model = ImageClassifier(batchnorm=True)  # o modo (train/eval) muda o resultado
    _ref = copy.deepcopy(_model)
    _opt, _ref_opt = _make_opt(_model.parameters()), _make_opt(_ref.parameters())
    for _epoch in range(2):
        _model.eval()
        with runtime_error_as_failure(
                "train_one_epoch com uma lista de batches",
                "O loader pode ser qualquer iterável de batches (x, y), como uma lista (sem "
                ".dataset): conte os exemplos pelos próprios batches."):
            _got = quietly(train_one_epoch, _model, _batches, nn.CrossEntropyLoss(), _opt,
                           torch.device("cpu"))
        _want = _reference_epoch(_ref, _batches, nn.CrossEntropyLoss(), _ref_opt)
        for (_name, _p), _q in zip(_model.named_parameters(), _ref.parameters()):
            assert_close(_p, _q, f"{_name} depois da época {_epoch + 1}")
        expect(math.isclose(_got, _want, rel_tol=1e-5, abs_tol=1e-6),
               f"Perda média da época {_epoch + 1}: {_got} em vez de {_want}.")
### END HIDDEN TESTS
print("train_one_epoch (loader de verdade): testes visíveis OK")

# %% [markdown]
# Uma época no MNIST (na correção automática, só uma parte dele), com uma barra de progresso:
# `progress(loader)` embrulha o loader sem mudar o que ele entrega.

# %%
demo_train = train_loader
if GRADING:
    demo_train = TensorLoader(*(t[:6000] for t in train_loader.tensors), batch_size=128,
                              shuffle=True, seed=0)

torch.manual_seed(0)
model = make_model().to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
with if_answered("train_one_epoch"):
    start = time.perf_counter()
    train_loss = train_one_epoch(model, progress(demo_train, desc="batches", leave=False),
                                 loss_fn, optimizer, device)
    print(f"perda média de treino na época: {train_loss:.4f} "
          f"({time.perf_counter() - start:.1f} s)")

# %% [markdown]
# ## 3. Avaliar: `model.eval()` e `torch.no_grad()`
#
# Algumas camadas se comportam diferente no treino e na avaliação. O `Dropout` zera uma fração
# `p` das ativações ao acaso (e multiplica as restantes por $1/(1-p)$) só no treino; a
# `BatchNorm` usa as estatísticas do batch no treino e as acumuladas na avaliação (aula 03).

# %%
dropout = nn.Dropout(p=0.5)
ones = torch.ones(8)
dropout.train()
print("modo de treino:    ", dropout(ones))
dropout.eval()
print("modo de avaliação: ", dropout(ones))

# %% [markdown]
# Para avaliar, então:
#
# - `model.eval()`: as camadas no modo de avaliação (resultados determinísticos, e a `BatchNorm`
#   não altera suas médias acumuladas);
# - `with torch.no_grad():` (ou `torch.inference_mode()`): sem gravar o grafo computacional, que
#   não vai ter backward (menos memória, mais rápido);
# - **acurácia**: a classe prevista é a de maior logit, `logits.argmax(dim=1)`; conte os acertos
#   `(pred == y).sum()` de todos os batches e divida pelo total de exemplos. Como na perda, a
#   média simples das acurácias dos batches pesaria errado o último batch.
#
# ### Exercício 2 — `evaluate` (4 pontos)
#
# Implemente `evaluate(model, loader, loss_fn, device)`, que devolve a tupla
# `(perda média, acurácia)`, dois `float`s, ambos médias por exemplo sobre o loader inteiro; a
# acurácia é uma fração entre 0 e 1 (não uma porcentagem). Os forwards rodam em modo de avaliação
# e com o rastreamento de gradientes desligado, e `evaluate` não muda nada no modelo.

# %% exercise="evaluate"
def evaluate(model, loader, loss_fn, device) -> tuple[float, float]:
    """(perda média por exemplo, acurácia em [0, 1]) do modelo no loader."""
    ### BEGIN SOLUTION
    model.eval()
    total_loss, correct, total = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            total_loss += loss_fn(logits, y).item() * len(y)
            correct += (logits.argmax(dim=1) == y).sum().item()
            total += len(y)
    return total_loss / total, correct / total
    ### END SOLUTION


# %% test="test_evaluate" points=2
import math

import torch
from torch import nn
from helpers.checks import (ForwardRecorder, ImageClassifier, assert_tuple, expect, quietly, reseed,
                            runtime_error_as_failure)


def _uneven_data(model, sizes):
    """Batches de tamanhos `sizes`; metade dos rótulos certos nos cheios, todos no último."""
    x = torch.randn(sum(sizes), 1, 4, 4)
    model.eval()
    with torch.no_grad():
        y = model(x).argmax(dim=1)
    y[: -sizes[-1]: 2] = (y[: -sizes[-1]: 2] + 1) % 3
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    return x, y, [(x[s:s + n], y[s:s + n]) for s, n in zip(starts, sizes)]


def _check_values(model, sizes):
    x, y, batches = _uneven_data(model, sizes)
    loss_fn = nn.CrossEntropyLoss()
    with torch.no_grad():
        logits = model(x)
        ref_loss, ref_acc = loss_fn(logits, y).item(), (logits.argmax(1) == y).float().mean().item()
        batch_losses = [loss_fn(model(xb), yb).item() for xb, yb in batches]
    batch_accs = [(model(xb).argmax(1) == yb).float().mean().item() for xb, yb in batches]
    model.train()  # evaluate precisa ligar o modo de avaliação sozinha
    with ForwardRecorder(model) as rec:
        with runtime_error_as_failure(
                "evaluate com uma lista de batches",
                "O loader pode ser qualquer iterável de batches (x, y), como uma lista (sem "
                ".dataset): conte os exemplos pelos próprios batches."):
            out = quietly(evaluate, model, batches, loss_fn, torch.device("cpu"))
    # só quando o forward rodou mesmo em modo de treino (com Dropout/BatchNorm, muda o valor)
    mode = (" O forward rodou em modo de treino: coloque o modelo em modo de avaliação."
            if any(training for training, _ in rec.calls) else "")
    assert_tuple(out, 2, "evaluate", "(perda média, acurácia)")
    loss, acc = out
    expect(isinstance(loss, float) and isinstance(acc, float),
           f"evaluate deve devolver dois floats (.item()), mas devolveu "
           f"({type(loss).__name__}, {type(acc).__name__}).")
    expect(not (math.isclose(loss, ref_acc, rel_tol=1e-5, abs_tol=1e-6)
                and math.isclose(acc, ref_loss, rel_tol=1e-5, abs_tol=1e-6)),
           "evaluate devolveu (acurácia, perda): a ordem é (perda média, acurácia).")
    expect(not 1 < acc <= 100, f"A acurácia {acc} parece uma porcentagem: devolva uma fração de 0 a 1.")
    expect(0 <= acc <= 1, f"A acurácia deve ficar entre 0 e 1, mas deu {acc}.")
    if not math.isclose(acc, ref_acc, rel_tol=1e-6, abs_tol=1e-6):
        hint = mode or " Conte os acertos de todos os batches e divida pelo total de exemplos."
        if math.isclose(acc, sum(batch_accs) / len(batch_accs), rel_tol=1e-6):
            hint = (" Parece a média simples das acurácias dos batches: o último batch é menor; "
                    "conte os acertos e divida pelo total de exemplos.")
        elif math.isclose(acc, batch_accs[-1], rel_tol=1e-6):
            hint = " Parece a acurácia só do último batch."
        elif acc == 0 < ref_acc < 1:
            hint = " Parece uma divisão inteira (//): divida os acertos pelo total com /."
        raise AssertionError(f"evaluate devolveu acurácia {acc:.6f}, mas a do loader é {ref_acc:.6f}."
                             + hint)
    if not math.isclose(loss, ref_loss, rel_tol=1e-5, abs_tol=1e-6):
        hint = mode
        if math.isclose(loss, sum(batch_losses) / len(batch_losses), rel_tol=1e-5):
            hint = (" Parece a média simples das perdas dos batches: pondere cada uma pelo "
                    "número de exemplos do batch.")
        elif math.isclose(loss, batch_losses[-1], rel_tol=1e-5):
            hint = " Parece a perda só do último batch."
        raise AssertionError(f"evaluate devolveu perda {loss:.6f}, mas a média por exemplo é "
                             f"{ref_loss:.6f}.{hint}")


reseed(0)
_check_values(ImageClassifier(), [10, 10, 3])
_bn_model = ImageClassifier(batchnorm=True, dropout=0.5)
with torch.no_grad():  # médias acumuladas bem diferentes das de um batch
    for _ in range(5):
        _bn_model(torch.randn(32, 1, 4, 4) * 2 + 1)
_check_values(_bn_model, [10, 10, 3])
### BEGIN HIDDEN TESTS
reseed()
for _sizes in ([7, 7, 7, 2], [50, 13], [9]):
    _check_values(ImageClassifier(batchnorm=True, dropout=0.3, hidden=16), _sizes)
### END HIDDEN TESTS
print("evaluate: testes visíveis OK")

# %% test="test_evaluate_mode" points=2
import torch
from helpers.checks import ForwardRecorder, ImageClassifier, expect, quietly, reseed
from helpers.loaders import TensorLoader


def _check_mode(model, loader):
    model.train()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    with ForwardRecorder(model) as rec:
        quietly(evaluate, model, loader, torch.nn.CrossEntropyLoss(), torch.device("cpu"))
    grad_left_on = torch.is_grad_enabled()
    torch.set_grad_enabled(True)  # as células seguintes precisam dele ligado
    expect(grad_left_on, "evaluate deixou o rastreamento de gradientes desligado: desligue-o só "
                         "em volta dos forwards, com um bloco with.")
    expect(len(rec.calls) >= len(loader),
           f"O modelo foi chamado {len(rec.calls)} vezes para {len(loader)} batches: faça um "
           "forward por batch.")
    expect(all(not training for training, _ in rec.calls),
           "O forward rodou em modo de treino: coloque o modelo em modo de avaliação.")
    expect(all(not grad_on for _, grad_on in rec.calls),
           "O forward rodou com o rastreamento de gradientes ligado: avalie dentro de "
           "torch.no_grad() (ou torch.inference_mode()).")
    for name, value in model.state_dict().items():
        expect(torch.equal(value, state[name]),
               f"evaluate alterou o estado do modelo ({name}): avaliar não deve mudar nada nele.")


reseed(0)
_model = ImageClassifier(batchnorm=True, dropout=0.5)
_check_mode(_model, TensorLoader(torch.randn(20, 1, 4, 4), torch.randint(0, 3, (20,)),
                                 batch_size=8))
### BEGIN HIDDEN TESTS
reseed()
for _n, _bs in ((33, 10), (5, 16)):
    _check_mode(ImageClassifier(batchnorm=True, hidden=8),
                TensorLoader(torch.randn(_n, 1, 4, 4), torch.randint(0, 3, (_n,)), batch_size=_bs))
### END HIDDEN TESTS
print("evaluate (modo de avaliação, sem gradiente): testes visíveis OK")

# %% [markdown]
# O modelo da época de demonstração, avaliado nas 10.000 imagens de teste:

# %%
with if_answered("train_one_epoch", "evaluate"):
    test_loss, test_acc = evaluate(model, test_loader, loss_fn, device)
    print(f"teste: perda {test_loss:.4f}, acurácia {test_acc:.2%}")

# %% [markdown]
# ## 4. Várias épocas: `fit`
#
# Treinar é repetir `train_one_epoch` e, depois de cada época, medir o modelo em dados que ele
# não viu, guardando a história para olhar as curvas depois.
#
# Que dados? O conjunto de **teste** fica para o fim: se ele for usado para escolher a taxa de
# aprendizado, o número de épocas ou o melhor modelo, a acurácia nele deixa de medir o que o
# modelo faz em dados novos. Separamos então 10.000 imagens do **treino** como conjunto de
# **validação**, e treinamos nas outras 50.000.

# %%
x_all, y_all = train_loader.tensors
n_fit = 5_000 if GRADING else 50_000
n_val = 1_000 if GRADING else 10_000
fit_train = TensorLoader(x_all[:n_fit], y_all[:n_fit], batch_size=128, shuffle=True, seed=0)
fit_val = TensorLoader(x_all[50_000:50_000 + n_val], y_all[50_000:50_000 + n_val],
                       batch_size=1000)
print(f"treino: {len(fit_train.dataset)} imagens, validação: {len(fit_val.dataset)}")

# %% [markdown]
# ### Exercício 3 — `fit` (3 pontos)
#
# Implemente `fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, device)`: a cada
# época, chame **a sua** `train_one_epoch` no `train_loader` e a sua `evaluate` no `val_loader`,
# e guarde os três números da época no histórico. Devolva o dicionário
# `{"train_loss": [...], "val_loss": [...], "val_acc": [...]}`, com um float por época, em ordem.
# Pode imprimir o progresso (com `print`). O teste troca as duas funções por versões
# espiãs para corrigir `fit` sozinha: chame-as pelo nome.

# %% exercise="fit"
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, device) -> dict:
    """Treina por `epochs` épocas; devolve o histórico de perdas e acurácia de validação."""
    history = {"train_loss": [], "val_loss": [], "val_acc": []}
    ### BEGIN SOLUTION
    for epoch in range(epochs):
        train_loss = train_one_epoch(model, train_loader, loss_fn, optimizer, device)
        val_loss, val_acc = evaluate(model, val_loader, loss_fn, device)
        history["train_loss"].append(train_loss)
        history["val_loss"].append(val_loss)
        history["val_acc"].append(val_acc)
        print(f"época {epoch + 1}/{epochs}: perda de treino {train_loss:.4f}, "
              f"de validação {val_loss:.4f}, acurácia {val_acc:.2%}")
    ### END SOLUTION
    return history


# %% test="test_fit" points=3
import torch
from helpers.checks import expect, quietly, runtime_error_as_failure, substitute

OWN_LOOP = ("fit deve chamar train_one_epoch e evaluate pelo nome e só passar os loaders a elas, "
            "sem percorrê-los com um loop próprio (o teste troca as duas funções).")


class _FakeLoader:
    """Loader de mentira: só as versões espiãs o recebem; percorrê-lo é um erro."""

    def __init__(self, name):
        self.name = name

    def __len__(self):  # uma barra de progresso pede o len
        return 3

    def __iter__(self):
        raise AssertionError(f"fit percorreu o {self.name} por conta própria. " + OWN_LOOP)

    def __repr__(self):
        return self.name


def _check_fit(epochs):
    net, criterion = torch.nn.Linear(2, 2), torch.nn.CrossEntropyLoss()
    opt, dev = torch.optim.SGD(net.parameters(), lr=0.1), torch.device("cpu")
    train_batches, val_batches = _FakeLoader("train_loader"), _FakeLoader("val_loader")
    calls, trained, validated = [], [], []

    def which(loader):  # um loader embrulhado numa barra de progresso também vale
        for batches in (train_batches, val_batches):
            if loader is batches or getattr(loader, "iterable", None) is batches:
                return batches.name
        return "outro loader"

    def spy_train(model, loader, loss_fn, optimizer, device):
        name = which(loader)
        expect(name == "train_loader", f"fit passou a train_one_epoch "
               f"{'o val_loader' if name == 'val_loader' else 'outro loader'}: treine no "
               "train_loader.")
        expect((model, loss_fn, optimizer, device) == (net, criterion, opt, dev),
               "fit deve passar a train_one_epoch o modelo, a perda, o otimizador e o device "
               "que recebeu.")
        calls.append("train_one_epoch(train_loader)")
        trained.append(1.0 + 0.37 * len(trained))
        return trained[-1]

    def spy_evaluate(model, loader, loss_fn, device):
        expect((model, loss_fn, device) == (net, criterion, dev),
               "fit deve passar a evaluate o modelo, a perda e o device que recebeu.")
        calls.append(f"evaluate({which(loader)})")
        if which(loader) != "val_loader":
            return 9.0, 0.0
        validated.append((0.5 + 0.11 * len(validated), 0.25 + 0.07 * len(validated)))
        return validated[-1]

    with substitute(globals(), train_one_epoch=spy_train, evaluate=spy_evaluate):
        with runtime_error_as_failure("fit com train_one_epoch e evaluate de teste", OWN_LOOP):
            history = quietly(fit, net, train_batches, val_batches, criterion, opt, epochs, dev)
    expect(calls, "fit não chamou train_one_epoch nem evaluate. " + OWN_LOOP)
    # avaliar também no treino é permitido: a ordem conferida ignora essas chamadas
    order = [c for c in calls if c != "evaluate(train_loader)"]
    expect(order == ["train_one_epoch(train_loader)", "evaluate(val_loader)"] * epochs,
           f"Com epochs={epochs}, fit deveria chamar train_one_epoch(train_loader) e depois "
           f"evaluate(val_loader) a cada época, mas as chamadas foram {calls}.")
    expect(isinstance(history, dict), f"fit deve devolver um dict, mas devolveu {type(history).__name__}.")
    for key in ("train_loss", "val_loss", "val_acc"):
        expect(key in history, f"Falta a chave '{key}' no histórico devolvido por fit.")
        expect(isinstance(history[key], list) and len(history[key]) == epochs,
               f"history['{key}'] deve ser uma lista com um valor por época ({epochs}).")
        expect(all(isinstance(v, float) for v in history[key]),
               f"history['{key}'] deve ter floats, mas tem {history[key]}.")
    expect(history["train_loss"] == trained,
           f"history['train_loss'] deveria ter o que train_one_epoch devolveu, em ordem: "
           f"{trained}, mas tem {history['train_loss']}.")
    expect(history["val_loss"] == [v for v, _ in validated] and
           history["val_acc"] == [a for _, a in validated],
           "history['val_loss'] e history['val_acc'] deveriam ter o que evaluate devolveu no "
           f"val_loader, em ordem: {validated}.")


_check_fit(3)
### BEGIN HIDDEN TESTS
_check_fit(1)
_check_fit(int(torch.randint(2, 6, ())))
### END HIDDEN TESTS
print("fit: testes visíveis OK")

# %% [markdown]
# Três épocas com `fit` (uma na correção automática) e as curvas:

# %%
torch.manual_seed(0)
model = make_model().to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
with if_answered("train_one_epoch", "evaluate", "fit"):
    history = fit(model, fit_train, fit_val, loss_fn, optimizer, 1 if GRADING else 3, device)
    display(plot_loss_curves(history))

# %% [markdown]
# ## 5. Acompanhar, guardar o melhor modelo e repetir um treino
#
# ### Barra de progresso e gráfico ao vivo
#
# Num treino longo queremos ver o que acontece **durante** o treino. `progress` (do
# `helpers.progress`) é a barra do `tqdm`, que some sozinha na correção automática; `LivePlot`
# (do `helpers.plots`) redesenha as curvas no mesmo lugar a cada época.
#
# ### O melhor modelo, com `state_dict`
#
# A acurácia de validação não cresce para sempre: com overfitting ela cai nas últimas épocas.
# Guardamos os parâmetros da melhor época e os restauramos no fim. `model.state_dict()` é um
# dicionário nome → tensor com tudo o que o modelo aprendeu (pesos, bias e buffers como as
# médias da `BatchNorm`). Mas os tensores dele **são** os do modelo, não cópias:

# %%
scratch = make_model()
state = scratch.state_dict()
print(list(state))
kept_reference = state["1.weight"]
kept_copy = copy.deepcopy(state)["1.weight"]
with torch.no_grad():
    scratch[1].weight += 1.0  # como um optimizer.step() faria
print("a referência mudou junto com o modelo:", torch.equal(kept_reference, scratch[1].weight))
print("a cópia guardou o valor antigo:       ", not torch.equal(kept_copy, scratch[1].weight))

# %% [markdown]
# Então: `best_state = copy.deepcopy(model.state_dict())` quando a validação melhora, e
# `model.load_state_dict(best_state)` no fim. A semente (`torch.manual_seed`) no começo fixa a
# inicialização dos pesos; a ordem dos batches vem da semente do loader (`seed=0` acima).

# %%
torch.manual_seed(0)
model = make_model().to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
epochs = 1 if GRADING else 5
history = {"train_loss": [], "val_loss": [], "val_acc": []}
best_acc, best_state = -1.0, None

with if_answered("train_one_epoch", "evaluate"), LivePlot() as live:
    for epoch in progress(range(epochs), desc="épocas"):
        batches = progress(fit_train, desc=f"época {epoch + 1}", leave=False)
        history["train_loss"].append(train_one_epoch(model, batches, loss_fn, optimizer, device))
        val_loss, val_acc = evaluate(model, fit_val, loss_fn, device)
        history["val_loss"].append(val_loss)
        history["val_acc"].append(val_acc)
        if val_acc > best_acc:
            best_acc, best_state = val_acc, copy.deepcopy(model.state_dict())
        live.update(history)

if best_state is not None:
    model.load_state_dict(best_state)
    print(f"melhor acurácia de validação: {best_acc:.2%} (época "
          f"{history['val_acc'].index(best_acc) + 1} de {epochs})")

# %% [markdown]
# Para guardar em disco (e carregar em outro notebook, outro dia), `torch.save` grava o
# `state_dict` num arquivo, e `torch.load(..., weights_only=True)` o lê de volta só com tensores
# (seguro mesmo com arquivos de terceiros). O modelo que recebe os pesos tem de ter a mesma
# arquitetura. Aqui o arquivo vai para uma pasta temporária:

# %%
with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "melhor_modelo.pt")
    torch.save(model.state_dict(), path)
    print(f"{os.path.getsize(path) / 1024:.0f} KiB em disco")
    restored = make_model().to(device)
    restored.load_state_dict(torch.load(path, map_location=device, weights_only=True))

x, y = next(iter(test_loader))
model.eval()
restored.eval()
with torch.no_grad():
    print("mesmas saídas:", torch.equal(model(x), restored(x)))

# %% [markdown]
# ### Repetir um treino: sementes
#
# Com as mesmas sementes, o mesmo código na mesma máquina dá os mesmos números:

# %%
def short_run(seed):
    """Uma época curta a partir da semente `seed`; devolve os parâmetros finais."""
    torch.manual_seed(seed)  # inicialização dos pesos
    net = make_model().to(device)
    loader = TensorLoader(x_all[:2560], y_all[:2560], batch_size=128, shuffle=True, seed=seed)
    train_one_epoch(net, loader, loss_fn, torch.optim.SGD(net.parameters(), lr=0.1), device)
    return [p.detach().clone() for p in net.parameters()]


with if_answered("train_one_epoch"):
    first, again, other = short_run(0), short_run(0), short_run(1)
    print("mesma semente, mesmos parâmetros:  ", all(map(torch.equal, first, again)))
    print("outra semente, parâmetros diferentes:", not all(map(torch.equal, first, other)))

# %% [markdown]
# O que **não** é garantido: resultados iguais bit a bit entre máquinas diferentes, versões
# diferentes do PyTorch, números de threads diferentes ou entre CPU e GPU (a ordem das somas muda
# e o arredondamento também). Na GPU, algumas operações usam somas atômicas em ordem
# imprevisível; `torch.use_deterministic_algorithms(True)` troca-as por versões determinísticas
# (ou dá erro quando não há uma). E o `DataLoader` com `shuffle=True` sorteia a ordem com o
# gerador global, que `torch.manual_seed` também fixa.
#
# ## 6. O seu modelo no MNIST
#
# ### Exercício 4 — `train_mnist` (8 pontos)
#
# Implemente `train_mnist(device)`, que escolhe um modelo, treina-o no MNIST e o devolve
# treinado. As escolhas são suas: arquitetura, otimizador, taxa de aprendizado, tamanho do
# batch, número de épocas. Regras:
#
# - carregue os dados com `mnist_loaders(batch_size=..., device=device)` (treine só no
#   conjunto de treino);
# - o modelo devolvido recebe batches normalizados `(N, 1, 28, 28)` (os do loader) e devolve
#   logits `(N, 10)`; ele fica no `device`;
# - use `torch.manual_seed` no começo, para o treino ser repetível;
# - o treino deve levar no máximo uns 2 minutos numa CPU de 2 núcleos (a correção automática dá
#   10 minutos por célula). Um MLP com uma camada oculta de algumas centenas de neurônios e
#   `Adam` com taxa de aprendizado $10^{-3}$ passa de 97% em quatro ou cinco épocas; uma
#   `nn.BatchNorm1d` depois da primeira camada faz o treino andar mais rápido.
#
# A correção avalia o modelo em modo de avaliação nas **10.000 imagens de teste**: acurácia de
# pelo menos **95%** vale 4 pontos, e de pelo menos **97%** mais 4. Pode usar as suas
# `train_one_epoch` e `evaluate`.

# %% exercise="train_mnist"
def train_mnist(device) -> nn.Module:
    """Treina um modelo no MNIST e o devolve treinado (em `device`)."""
    ### BEGIN SOLUTION
    torch.manual_seed(0)
    loader, _ = mnist_loaders(batch_size=128, device=device, seed=0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 512), nn.BatchNorm1d(512), nn.ReLU(),
                          nn.Linear(512, 10)).to(device)
    epochs = 4
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    # taxa de aprendizado caindo em linha reta até zero: os últimos passos refinam
    total_steps = epochs * len(loader)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda k: 1 - k / total_steps)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    for _ in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            loss_fn(model(x), y).backward()
            optimizer.step()
            scheduler.step()
    return model
    ### END SOLUTION


# %% [markdown]
# A célula abaixo treina o seu modelo (rode-a de novo depois de mudar `train_mnist`). Os testes
# em seguida usam o `mnist_model` que ela deixa.

# %%
start = time.perf_counter()
mnist_model, mnist_error = None, None
try:
    mnist_model = train_mnist(device)
    print(f"train_mnist levou {time.perf_counter() - start:.1f} s")
except NotImplementedError as err:  # os testes abaixo mostram este aviso
    print("train_mnist ainda não foi respondido: escreva a sua solução na célula acima e rode "
          "as duas células de novo.")
    mnist_error = err

# %% test="test_train_mnist_95" points=4
from helpers.checks import expect, mnist_test_accuracy
from helpers.mnist import ensure_mnist

ensure_mnist()  # sem os arquivos do MNIST, a mensagem diz como consegui-los
expect("mnist_model" in globals(),
       "mnist_model não existe: a célula que treina o modelo (logo depois de train_mnist) não "
       "rodou até o fim. Rode-a e veja o erro dela.")
if globals().get("mnist_error") is not None:  # em branco: o aviso de "não respondido"
    raise NotImplementedError(f"train_mnist: {mnist_error} Depois rode de novo a célula de treino.")
expect(mnist_model is not None,
       "mnist_model é None: train_mnist ainda não foi respondido. Responda o exercício e rode "
       "de novo a célula de treino antes deste teste.")
_accuracy = mnist_test_accuracy(mnist_model)  # calculada uma vez, nas 10.000 imagens de teste
expect(_accuracy >= 0.95,
       f"Acurácia no teste: {_accuracy:.2%}, abaixo de 95%. Treine por mais épocas, use um modelo "
       "maior ou ajuste a taxa de aprendizado.")
print(f"train_mnist: acurácia no teste {_accuracy:.2%} (pelo menos 95%)")

# %% test="test_train_mnist_97" points=4
from helpers.checks import expect, mnist_test_accuracy
from helpers.mnist import ensure_mnist

ensure_mnist()  # sem os arquivos do MNIST, a mensagem diz como consegui-los
expect("mnist_model" in globals(),
       "mnist_model não existe: a célula que treina o modelo (logo depois de train_mnist) não "
       "rodou até o fim. Rode-a e veja o erro dela.")
if globals().get("mnist_error") is not None:  # em branco: o aviso de "não respondido"
    raise NotImplementedError(f"train_mnist: {mnist_error} Depois rode de novo a célula de treino.")
expect(mnist_model is not None,
       "mnist_model é None: train_mnist ainda não foi respondido. Responda o exercício e rode "
       "de novo a célula de treino antes deste teste.")
_accuracy = mnist_test_accuracy(mnist_model)  # a mesma conta do teste anterior, guardada
expect(_accuracy >= 0.97,
       f"Acurácia no teste: {_accuracy:.2%}, abaixo de 97%. Treine por mais épocas, use um modelo "
       "maior ou ajuste a taxa de aprendizado.")
print(f"train_mnist: acurácia no teste {_accuracy:.2%} (pelo menos 97%)")

# %% [markdown]
# ## Erros comuns
#
# ### `mat1 and mat2 shapes cannot be multiplied (1792x28 and 784x128)`
#
# Um modelo que começa direto com `nn.Linear(784, ...)` recebeu imagens `(N, 1, 28, 28)`:

# %%
no_flatten = nn.Sequential(nn.Linear(28 * 28, 128), nn.ReLU(), nn.Linear(128, 10)).to(device)
x, y = next(iter(test_loader))
try:
    no_flatten(x[:64])
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# **Causa:** `nn.Linear` multiplica a **última** dimensão; com imagens, ela é a largura (28), e as
# outras viram linhas: 64 × 1 × 28 = 1792 linhas de 28 números. **Correção:** achate no modelo,
# com `nn.Flatten()` como primeira camada ou `x.flatten(1)` no `forward`.
#
# ### `Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu!`
#
# O modelo está na GPU e o batch na CPU (ou o contrário). Numa máquina com GPU a célula abaixo
# produz o erro de verdade; sem GPU ela usa o device `meta` (tensores sem dados, só shape), que
# dá um erro parecido pelo mesmo motivo.

# %%
if device.type == "cuda":
    on_gpu = make_model().to(device)
    try:
        on_gpu(x.cpu())
    except RuntimeError as err:
        print("RuntimeError:", err)
else:
    print("(sem GPU aqui: na GPU a mensagem seria 'Expected all tensors to be on the same device, "
          "but found at least two devices, cuda:0 and cpu! ...')")
    on_meta = make_model().to("meta")
    try:
        on_meta(x.cpu())
    except RuntimeError as err:
        print("RuntimeError:", err)

# %% [markdown]
# **Causa:** um `.to(device)` esquecido: no modelo, ou no batch dentro do loop (com o
# `DataLoader` padrão os batches chegam sempre na CPU). **Correção:** `model.to(device)` uma vez,
# e `x, y = x.to(device), y.to(device)` em cada batch.
#
# ### Avaliar sem `model.eval()`
#
# Não há mensagem de erro, só números errados. Com dropout em modo de treino, cada avaliação
# sorteia neurônios desligados, e a acurácia muda de uma chamada para outra:

# %%
torch.manual_seed(0)
with_dropout = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.5),
                             nn.Linear(128, 10)).to(device)
with if_answered("train_one_epoch"):
    train_one_epoch(with_dropout, demo_train, loss_fn,
                    torch.optim.Adam(with_dropout.parameters(), lr=1e-3), device)
    x, y = x_all[50_000:52_000], y_all[50_000:52_000]
    with torch.no_grad():
        with_dropout.train()
        for attempt in range(2):
            acc = (with_dropout(x).argmax(1) == y).float().mean().item()
            print(f"modo de treino, chamada {attempt + 1}: acurácia {acc:.2%}")
        with_dropout.eval()
        acc = (with_dropout(x).argmax(1) == y).float().mean().item()
        print(f"modo de avaliação:           acurácia {acc:.2%}")

# %% [markdown]
# **Correção:** `model.eval()` antes de avaliar e `model.train()` antes de treinar de novo (por
# isso `train_one_epoch` chama `model.train()` a cada época).
#
# ### Esquecer `optimizer.zero_grad()`
#
# Também sem erro: o `.grad` de cada passo vira a soma dos gradientes de todos os batches
# anteriores, e o treino anda em direções erradas. Dois backward seguidos no mesmo batch dão o
# dobro do gradiente:

# %%
scratch = make_model().to(device)
loss_fn(scratch(x[:128]), y[:128]).backward()
first_grad = scratch[1].weight.grad.clone()
loss_fn(scratch(x[:128]), y[:128]).backward()  # sem zerar
print("o .grad agora é 2× o gradiente do batch:", torch.allclose(scratch[1].weight.grad, 2 * first_grad))

# %% [markdown]
# ### Somar `loss` em vez de `loss.item()`
#
# `total += loss` funciona, mas `total` vira um tensor que rastreia gradientes, ligado ao grafo
# computacional de **todos** os batches somados: as ativações guardadas para o backward de cada
# um continuam na memória até o fim da época.

# %%
def graph_nodes(t):
    """Quantos nós do grafo computacional estão pendurados em t."""
    seen, stack = set(), [t.grad_fn]
    while stack:
        node = stack.pop()
        if node is not None and node not in seen:
            seen.add(node)
            stack.extend(next_node for next_node, _ in node.next_functions)
    return len(seen)


scratch = make_model().to(device)
total_tensor, total_float = 0.0, 0.0
for i, (xb, yb) in enumerate(train_loader):
    loss = loss_fn(scratch(xb), yb)
    total_tensor += loss          # errado: guarda o grafo
    total_float += loss.item()    # certo: só o número
    if i + 1 in (1, 10):
        print(f"depois de {i + 1:2d} batches: {graph_nodes(total_tensor)} nós do grafo "
              f"presos em total_tensor; total_float é {type(total_float).__name__}")
    if i + 1 == 10:
        break

# %% [markdown]
# **Correção:** acumule `loss.item()` (um float do Python), multiplicado pelo tamanho do batch.
#
# ### `0D or 1D target tensor expected, multi-target not supported`
#
# `nn.CrossEntropyLoss` recebeu rótulos com uma dimensão a mais, `(N, 1)` em vez de `(N,)`:

# %%
try:
    loss_fn(scratch(xb), yb.unsqueeze(1))
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# **Causa:** rótulos lidos de uma coluna de tabela, ou um `unsqueeze`/`view(-1, 1)` sobrando.
# **Correção:** rótulos `int64` de shape `(N,)` com o índice da classe (`y.squeeze(1)` ou
# `y.view(-1)`).
#
# ## Aprofundamento (opcional): de onde vem a diferença de velocidade
#
# No `DataLoader` padrão, cada batch de 128 custa 128 chamadas a `dataset[i]`: ler a imagem,
# criar um objeto PIL, converter em tensor, normalizar, e no fim `torch.stack` para juntar. É
# trabalho de Python, exemplo por exemplo. Nos loaders do curso um batch é um único
# `index_select` num tensor que já está pronto (e no device). Quando os dados **não** cabem na
# memória, o `DataLoader` é o caminho, e há ajustes:
#
# - `num_workers=k`: `k` processos preparam batches em paralelo com o treino;
# - `pin_memory=True` com `x.to(device, non_blocking=True)`: a cópia para a GPU corre em
#   paralelo com as contas;
# - transformações feitas uma vez e guardadas em disco, em vez de refeitas a cada época.
#
# Com o `DataLoader` padrão, quanto tempo levaria uma época só de dados, contra o treino de um
# batch? A célula abaixo mede o passo de treino (forward, perda, backward, step) do MLP desta
# aula, para comparar com o tempo por batch medido na seção 1.

# %%
torch.manual_seed(0)
scratch = make_model().to(device)
scratch_opt = torch.optim.SGD(scratch.parameters(), lr=0.1)
xb, yb = next(iter(train_loader))
start = time.perf_counter()
for _ in range(n_batches):
    scratch_opt.zero_grad()
    loss_fn(scratch(xb), yb).backward()
    scratch_opt.step()
if device.type == "cuda":
    torch.cuda.synchronize()
t_step = (time.perf_counter() - start) / n_batches
print(f"passo de treino: {t_step * 1e3:.2f} ms por batch; dados pelo DataLoader: "
      f"{t_std * 1e3:.2f} ms; pelos loaders do curso: {t_fast * 1e3:.3f} ms")

# %% [markdown]
# ## Resumo
#
# - Um passo de treino: `zero_grad`, forward, perda, `backward`, `step`. Uma época: um passo por
#   batch, com `model.train()` no começo e os dados no `device` do modelo.
# - Achatar a imagem é trabalho do modelo (`nn.Flatten()`), não do loop.
# - Avaliar: `model.eval()` + `torch.no_grad()`; acurácia pela classe de maior logit. Perda e
#   acurácia médias são ponderadas pelo tamanho de cada batch (o último pode ser menor), e
#   acumuladas como floats (`.item()`), não como tensores.
# - `Dataset` + `DataLoader` é o caminho geral; para um dataset pequeno como o MNIST, tensores já
#   prontos no device são muitas vezes mais rápidos.
# - Valide num pedaço separado do treino; guarde o melhor modelo com
#   `copy.deepcopy(model.state_dict())` (ou `torch.save`) e restaure com `load_state_dict`.
#   `torch.manual_seed` torna o treino repetível na mesma máquina.
#
# Na próxima aula: ler as curvas de perda, diagnosticar um treino que diverge, que aprende
# devagar ou que faz overfitting, e as ferramentas para investigar (TensorBoard, gradientes).
