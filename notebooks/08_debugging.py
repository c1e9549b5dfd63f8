# %% [markdown]
# # Aula 08 — Monitoramento e debugging do treinamento
#
# Um modelo que não aprende raramente dá erro: ele só treina mal. Esta aula ensina a **ler** o
# treinamento (curvas de perda, TensorBoard) e a **encontrar** os defeitos mais comuns
# (gradientes que não chegam, perdas `nan`, gradientes que explodem ou somem, perda parada,
# memória que acaba), cada um mostrado acontecendo de verdade e depois corrigido.
#
# **Objetivos**
#
# - Reconhecer numa curva de perda (função de perda, *loss*) uma taxa de aprendizado
#   (*learning rate*) alta ou baixa, um batch pequeno, underfitting e overfitting.
# - Registrar métricas com o `SummaryWriter` do TensorBoard, abrir o painel e conferir o que
#   foi gravado lendo os arquivos de eventos de volta.
# - Achar parâmetros sem gradiente, perdas `nan` (com `torch.autograd.set_detect_anomaly`),
#   gradientes que explodem (e cortá-los com `clip_grad_norm_`) ou desaparecem.
# - Estimar a memória de um treino antes de rodá-lo.
#
# Tempo estimado: 45 min (+ 15 min de aprofundamento opcional).

# %%
import math
import os
import time
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

from helpers.loaders import TensorLoader, mnist_loaders
from helpers.plots import plot_loss_curves

# Na correção automática as demonstrações encolhem (menos imagens); as notas não mudam.
GRADING = bool(os.environ.get("NBGRADER_EXECUTION"))
N_TRAIN = 500 if GRADING else 1000
EPOCHS = 8
STEPS = 40 if GRADING else 100  # passos dos treinos num batch só (seções 3 e 4.5)

# O MNIST inteiro no device, uma vez só; usamos só as primeiras imagens de cada split. As
# imagens do split de teste fazem o papel de validação nestas demonstrações.
train_loader, val_loader = mnist_loaders(batch_size=50, device=device, subset=N_TRAIN)
x_train, y_train = train_loader.tensors
x_val, y_val = val_loader.tensors
loss_fn = nn.CrossEntropyLoss()
print(f"treino: {tuple(x_train.shape)}, validação: {tuple(x_val.shape)}, device: {device}")

# %% [markdown]
# ## 1. Lendo curvas de perda
#
# A **curva de perda** (a perda por época, de treino e de validação) é o primeiro
# instrumento de diagnóstico. Para ver cada padrão de verdade, a função abaixo treina um MLP
# pequeno (784 → `hidden` → 10, com `tanh`) com SGD e momentum, por algumas épocas, e guarda
# a perda média de treino de cada época, a perda e a acurácia de validação ao fim de cada
# época e a perda de cada mini-batch. É o loop de treinamento da aula 07, compacto.

# %%
def train_run(lr, epochs=EPOCHS, hidden=64, n_train=N_TRAIN, batch_size=50, seed=0, writer=None):
    """Treina um MLP pequeno no MNIST e devolve o histórico (listas por época e por batch)."""
    torch.manual_seed(seed)
    loader = TensorLoader(x_train[:n_train], y_train[:n_train], batch_size=batch_size,
                          shuffle=True, seed=seed)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, hidden), nn.Tanh(),
                          nn.Linear(hidden, 10)).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    history = {"train_loss": [], "val_loss": [], "val_acc": [], "batch_loss": []}
    for epoch in range(epochs):
        model.train()
        total = 0.0
        for batch_idx, (x, y) in enumerate(loader):
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            history["batch_loss"].append(loss.item())
            total += loss.item() * len(x)
            if writer is not None:  # a perda de cada batch, no passo global (como no texto-base)
                writer.add_scalar("Loss/train_batch", loss.item(), epoch * len(loader) + batch_idx)
        model.eval()
        with torch.no_grad():
            logits = model(x_val)
            val_loss = loss_fn(logits, y_val).item()
            val_acc = (logits.argmax(dim=1) == y_val).float().mean().item()
        history["train_loss"].append(total / len(loader.dataset))
        history["val_loss"].append(val_loss)
        history["val_acc"].append(val_acc)
        if writer is not None:  # uma vez por época: global_step = índice da época
            writer.add_scalar("Loss/train", history["train_loss"][-1], epoch)
            writer.add_scalar("Loss/val", val_loss, epoch)
            writer.add_scalar("Accuracy/val", val_acc, epoch)
    return history


# %% [markdown]
# Seis treinos curtos, cada um com um defeito (uns poucos segundos no total):
#
# - **referência**: taxa de aprendizado 0,02, 64 neurônios, 50 imagens por batch;
# - **taxa de aprendizado alta** (0,3): o modelo "pula" o mínimo e a perda cresce;
# - **taxa de aprendizado baixa** (0,0005): a perda cai, mas devagar demais;
# - **batch pequeno** (5 imagens): a perda de cada mini-batch fica muito mais ruidosa;
# - **underfitting**: só 2 neurônios escondidos, o modelo não tem capacidade para aprender;
# - **overfitting**: só 100 imagens de treino, 256 neurônios e mais épocas.

# %%
start = time.perf_counter()
runs = {
    "referência (lr=0,02)": train_run(0.02),
    "taxa alta (lr=0,3)": train_run(0.3, seed=1),
    "taxa baixa (lr=0,0005)": train_run(0.0005),
    "underfitting (2 neurônios)": train_run(0.02, hidden=2),
    "overfitting (100 imagens)": train_run(0.05, n_train=100, batch_size=25, hidden=256,
                                           epochs=3 * EPOCHS),
}
small_batch = train_run(0.02, batch_size=5, epochs=1)
print(f"6 treinos em {time.perf_counter() - start:.1f} s")

fig, axes = plt.subplots(2, 3, figsize=(13, 7), layout="constrained")
panels = list(runs.items())
for ax, (title, history) in zip(axes.flat, panels[:3] + panels[3:]):
    epochs = range(1, len(history["train_loss"]) + 1)
    ax.plot(epochs, history["train_loss"], marker="o", markersize=3, label="treino")
    ax.plot(epochs, history["val_loss"], marker="o", markersize=3, label="validação")
    ax.set(title=title, xlabel="época", ylabel="perda")
    ax.grid(alpha=0.3)
    ax.legend()
ax = axes.flat[5]
reference = runs["referência (lr=0,02)"]["batch_loss"][: N_TRAIN // 50]
ax.plot([5 * (i + 1) for i in range(len(small_batch["batch_loss"]))], small_batch["batch_loss"],
        linewidth=0.8, label="batch de 5")
ax.plot([50 * (i + 1) for i in range(len(reference))], reference, marker="o", markersize=3,
        label="batch de 50")
ax.set(title="batch pequeno: perda de cada mini-batch", xlabel="imagens vistas (1ª época)",
       ylabel="perda")
ax.grid(alpha=0.3)
ax.legend()
plt.close(fig)
fig

# %% [markdown]
# Como ler cada painel:
#
# - **Taxa alta**: a perda de treino *sobe* de uma época para a outra (ou vira `nan`/`inf`).
#   Os passos são grandes demais e o modelo salta por cima do mínimo. Com ReLU no lugar de
#   `tanh` o sintoma costuma ser outro: a perda dispara e depois trava perto de
#   $\ln 10 \approx 2{,}30$ (o chute uniforme entre 10 classes), porque as ReLUs "morrem"
#   (veja a seção 4.5).
# - **Taxa baixa**: nada está quebrado, só lento: a perda cai quase em linha reta, alguns
#   por cento por época, e ainda cairia muito com mais épocas.
# - **Batch pequeno**: cada mini-batch de 5 imagens é uma amostra ruidosa do gradiente, e a
#   perda de cada passo pula muito mais. O texto-base acrescenta que esse ruído pode ajudar a
#   generalizar; às vezes ajuda, mas o custo certo é o tempo: 10× mais passos por época.
# - **Underfitting**: treino e validação juntas e altas. O texto-base diz "épocas
#   insuficientes: a perda de treino ainda está decrescendo"; esse é um caso (o mesmo desenho
#   da taxa baixa), o outro é o deste painel, capacidade de menos: aqui mais épocas pouco
#   adiantam, é preciso um modelo maior.
# - **Overfitting**: a perda de treino vai a quase zero enquanto a de validação atinge um
#   mínimo cedo e depois **sobe**. O modelo decorou as 100 imagens. O remédio é mais dados,
#   regularização ou parar na época do mínimo da validação (*early stopping*).
#
# Repare que mesmo a referência ainda melhora no fim: 8 épocas de um treino pequeno não
# bastam para convergir, e o diagnóstico honesto dela é "mais épocas ajudariam".
#
# ### Exercício 1 — `diagnose` (3 pontos)
#
# Escreva `diagnose(train_loss, val_loss)`, que recebe as perdas por época (listas de floats,
# pelo menos 6 épocas) e devolve **uma** string, testando nesta ordem de prioridade:
#
# 1. `"diverging"`: alguma perda de treino não é finita (`nan` ou `inf`), **ou** a última
#    perda de treino é maior que a primeira (taxa de aprendizado alta demais);
# 2. `"overfitting"`: a perda de validação atinge o mínimo **antes do último terço** das
#    épocas e termina **pelo menos 10% acima** desse mínimo, enquanto a perda de treino
#    continua caindo;
# 3. `"slow"`: a perda de treino ainda cai **mais de 1% por época** nas últimas três épocas
#    (taxa baixa ou épocas de menos);
# 4. senão, `"ok"`.
#
# A ordem importa: uma curva com `nan` que também tem o desenho do overfitting é
# `"diverging"`. Os testes usam curvas nítidas de cada tipo (com um pouco de ruído), de
# vários comprimentos; nenhuma fica em cima de um limite.

# %% exercise="diagnose"
def diagnose(train_loss: list[float], val_loss: list[float]) -> str:
    """Diagnóstico de um treino pelas curvas de perda: diverging, overfitting, slow ou ok."""
    ### BEGIN SOLUTION
    n = len(train_loss)
    if not all(math.isfinite(v) for v in train_loss) or train_loss[-1] > train_loss[0]:
        return "diverging"
    best = min(range(n), key=lambda i: val_loss[i])
    train_falling = train_loss[-1] < train_loss[best]
    if best < n - n // 3 and val_loss[-1] >= 1.1 * val_loss[best] and train_falling:
        return "overfitting"
    last = train_loss[-3:]
    if all(later < 0.99 * earlier for earlier, later in zip(last, last[1:])):
        return "slow"
    return "ok"
    ### END SOLUTION


# %% test="test_diagnose" points=2
import math
import torch
from helpers.checks import expect, quietly, reseed


def _noisy(values, noise=0.002):
    # ruído multiplicativo pequeno (até 0,4%), diferente a cada chamada
    return [float(v * (1 + noise * torch.randn(()).clamp(-2, 2))) for v in values]


def _curves(kind, n):
    e = torch.arange(n, dtype=torch.float64)
    if kind == "ok":  # convergiu antes das 3 últimas épocas; validação a uma distância constante
        scale = float(torch.empty(()).uniform_(0.2, 5.0))
        train = scale * (0.5 + 1.5 * torch.exp(-e * 9 / (n - 3)))
        val = 1.3 * train
    elif kind == "slow":  # ainda cai ~6% por época; perdas pequenas com n par
        scale = float(torch.empty(()).uniform_(*((0.05, 0.3) if n % 2 == 0 else (0.5, 3.0))))
        train = scale * 0.94**e
        val = 1.05 * train
    elif kind == "overfitting":  # validação em U: mínimo no primeiro terço, sobe ~40%
        train = 2.0 * torch.exp(-e / (n / 4)) + 0.01
        low = max(1, n // 4)
        val = 0.8 + 0.6 * ((e - low) / (n - 1 - low)).clamp(min=0) ** 1.5
        val = torch.where(e < low, 0.8 + 1.2 * (low - e) / low, val)
    else:  # "diverging": sobe e oscila
        train = 2.3 * 1.15**e * (1 + 0.1 * torch.cos(e))
        val = 1.1 * train
    return _noisy(train.tolist()), _noisy(val.tolist())


def _check_diagnose(kind, n):
    train, val = _curves(kind, n)
    got = quietly(diagnose, list(train), list(val))
    expect(isinstance(got, str), f"diagnose deve devolver uma str, mas devolveu {type(got).__name__}.")
    hints = {
        "ok": "A curva de treino já está plana no fim e a validação não sobe: releia as "
              "condições de overfitting e de slow (1% é relativo ao valor da perda).",
        "slow": "A perda de treino ainda cai uns 6% por época no fim: compare a queda "
                "relativa de cada uma das últimas épocas com 1%.",
        "overfitting": "A validação atinge o mínimo cedo e sobe mais de 10% enquanto o treino "
                       "cai: compare o fim da validação com o MÍNIMO dela, não com o início.",
        "diverging": "A perda de treino termina acima de onde começou.",
    }
    # dicas para os enganos mais comuns numa curva "ok" (o ruído faz a perda subir um pouco)
    specific = {
        ("ok", "diverging"): "A perda de treino sobe um pouco de uma época para outra (ruído), "
                             "mas é finita e termina bem abaixo da primeira: releia a regra de "
                             "diverging.",
        ("ok", "overfitting"): "A validação acompanha o treino e não termina 10% acima do "
                               "mínimo dela: releia a regra de overfitting.",
        ("ok", "slow"): "A perda de treino já está plana no fim: compare a queda relativa de "
                        "cada uma das últimas épocas com 1% (relativo ao valor da perda).",
    }
    expect(got == kind, f"Com curvas de {n} épocas do tipo '{kind}', diagnose devolveu "
           f"{got!r}. {specific.get((kind, got), hints[kind])}")


def _scaled_noisy(values, scale, noise=0.0005):
    # ruído multiplicativo bem pequeno (até 0,1%), para não esconder a regra que a curva testa
    return [float(scale * v * (1 + noise * torch.randn(()).clamp(-2, 2))) for v in values]


def _from_drops(n, drop):
    # perda de treino a partir da queda relativa de cada época: drop(e) < 0 é subida
    values = [2.0]
    for e in range(1, n):
        values.append(values[-1] * (1 - drop(e)))
    return values


def _valley(n, low, rise):
    # validação em V: cai até o mínimo na época `low` e termina `rise` (fração) acima dele
    return [1.0 + 0.5 * (low - e) / low if e <= low else 1.0 + rise * (e - low) / (n - 1 - low)
            for e in range(n)]


def _rule_probes(n):
    """Curvas que separam cada regra do diagnóstico: (treino, validação, esperado, dica)."""
    early, late = max(1, n // 4), max(math.ceil(n / 3), round(0.4 * n))
    in_last_quarter = min(n - 2, math.ceil(0.75 * n))
    flat_end = _from_drops(n, lambda e: 0.15 if e < n - 3 else 0.004)
    steady = _from_drops(n, lambda e: 0.03)
    probes = [
        (flat_end, _valley(n, early, 0.045), "ok",
         "a validação termina só uns 4,5% acima do mínimo dela: menos de 10% não é overfitting."),
        (steady, _valley(n, early, 0.045), "slow",
         "a validação termina só uns 4,5% acima do mínimo dela (menos de 10% não é "
         "overfitting), e o treino ainda cai 3% por época."),
        (_from_drops(n, lambda e: 0.05), _valley(n, late, 0.22), "overfitting",
         f"a validação tem o mínimo na época {late} (contando de 0, antes do último terço), "
         "termina uns 22% acima dele (mais que 10%) e o treino segue caindo."),
        (steady, _valley(n, in_last_quarter, 0.15), "slow",
         f"o mínimo da validação está na época {in_last_quarter} (contando de 0), dentro do "
         f"último terço das {n} épocas: isso não conta como overfitting (e o treino ainda cai "
         "3% por época)."),
        (_from_drops(n, lambda e: 0.15 if e <= late else -0.03), _valley(n, late, 0.22), "ok",
         f"depois do mínimo da validação (época {late}, contando de 0) a perda de treino "
         "SOBE (sem passar da primeira): overfitting exige que o treino continue caindo."),
    ]
    for drops, kind, why in (
        ((0.02, 0.02, 0.02), "slow",
         "o treino cai uns 2% em cada uma das três últimas épocas: isso é mais de 1% por época."),
        ((0.004, 0.004, 0.004), "ok",
         "o treino cai só uns 0,4% em cada uma das três últimas épocas: menos de 1% não é slow."),
        ((0.0, 0.0, 0.024), "ok",
         "só a última época cai mais de 1% (2,4%); as anteriores ficam paradas: slow olha as "
         "últimas três épocas, não só a última."),
    ):
        train = _from_drops(n, lambda e, d=drops: 0.1 if e < n - 3 else d[e - (n - 3)])
        probes.append((train, [1.2 * v for v in train], kind, why))
    return probes


def _check_rules(n):
    for train, val, kind, why in _rule_probes(n):
        scale = float(torch.empty(()).uniform_(0.2, 5.0))
        got = quietly(diagnose, _scaled_noisy(train, scale), _scaled_noisy(val, scale))
        expect(got == kind, f"Com curvas de {n} épocas, diagnose devolveu {got!r}, mas o "
               f"esperado é {kind!r}: {why}")


reseed(0)
for _n in (6, 10, 30):
    for _kind in ("ok", "slow", "overfitting", "diverging"):
        _check_diagnose(_kind, _n)
for _n in (6, 9, 12, 20, 30):
    _check_rules(_n)
### BEGIN HIDDEN TESTS
reseed()
for _n in (6, 7, 10, 15, 30, 40):
    for _kind in ("ok", "slow", "overfitting", "diverging"):
        _check_diagnose(_kind, _n)
for _n in (6, 9, 12, 20, 30):
    _check_rules(_n)
### END HIDDEN TESTS
print("diagnose: testes visíveis OK")

# %% test="test_diagnose_priority" points=1
import math
import torch
from helpers.checks import expect, quietly, reseed


def _overfit_shape(n):
    e = torch.arange(n, dtype=torch.float64)
    train = (2.0 * torch.exp(-e / (n / 4)) + 0.01).tolist()
    low = max(1, n // 4)
    val = (0.8 + 0.6 * ((e - low) / (n - 1 - low)).clamp(min=0) ** 1.5)
    val = torch.where(e < low, 0.8 + 1.2 * (low - e) / low, val).tolist()
    return train, val


def _expect_kind(train, val, kind, why):
    got = quietly(diagnose, list(train), list(val))
    expect(got == kind, f"diagnose devolveu {got!r}, mas o esperado é {kind!r}: {why}")


reseed(0)
_train, _val = _overfit_shape(10)
_train[6] = math.nan
_expect_kind(_train, _val, "diverging",
             "uma perda de treino nan vale mais que o desenho de overfitting (confira a "
             "ordem das condições).")
_train, _val = _overfit_shape(10)
_train[3] = math.inf
_expect_kind(_train, _val, "diverging",
             "uma perda de treino inf também é não finita (nan não é o único caso).")
_train, _val = _overfit_shape(8)
_expect_kind(_train, _val, "overfitting",
             "a perda de treino ainda cai rápido, mas overfitting vem antes de slow.")
_train = [1.0, 0.6, 0.5, 0.45, 0.5, 0.8, 1.2, 1.5]
_expect_kind(_train, [v * 1.1 for v in _train], "diverging",
             "a última perda de treino está acima da primeira.")
### BEGIN HIDDEN TESTS
reseed()
for _n in (6, 12, 30):
    for _bad in (math.nan, math.inf):
        _train, _val = _overfit_shape(_n)
        _train[int(torch.randint(1, _n - 1, ()))] = _bad
        _expect_kind(_train, _val, "diverging", f"há uma perda de treino {_bad}.")
    _train, _val = _overfit_shape(_n)
    _train[-1] = math.inf
    _expect_kind(_train, _val, "diverging", "a última perda de treino é inf.")
# subiu no fim, mas a validação segue caindo: diverging vem antes de tudo
_train = [0.5, 0.4, 0.3, 0.25, 0.3, 0.45, 0.6]
_expect_kind(_train, [2.0, 1.8, 1.6, 1.5, 1.45, 1.4, 1.35], "diverging",
             "a última perda de treino está acima da primeira.")
### END HIDDEN TESTS
print("diagnose (prioridades): testes visíveis OK")

# %% [markdown]
# Com o exercício respondido, veja o que ele diz das curvas da seção 1 (a de batch pequeno
# tem uma época só e fica de fora):

# %%
try:
    for title, history in runs.items():
        print(f"{title:28} -> {diagnose(history['train_loss'], history['val_loss'])}")
except NotImplementedError:
    print("Responda o exercício diagnose acima para ver o diagnóstico de cada treino.")

# %% [markdown]
# ## 2. TensorBoard: as curvas enquanto o treino roda
#
# O **TensorBoard** é um painel no navegador para acompanhar experimentos: cada treino grava
# métricas num arquivo de eventos e o painel desenha as curvas, atualizando enquanto o
# treino roda, e sobrepõe vários treinos para comparar. Do lado do PyTorch, quem grava é o
# `torch.utils.tensorboard.SummaryWriter`:
#
# - `SummaryWriter(logdir)` cria a pasta do treino (um *run*); use uma pasta por treino
#   dentro de `runs/`;
# - `writer.add_scalar(tag, valor, global_step)` grava um número; a `tag` com `/` agrupa
#   gráficos no painel (`Loss/train` e `Loss/val` ficam na seção `Loss`) e o `global_step`
#   é o eixo x (aqui, a época);
# - `writer.flush()` força a escrita no disco; `writer.close()` escreve e fecha.
#
# O `train_run` acima já sabe gravar: com `writer=` ele grava `Loss/train`, `Loss/val` e
# `Accuracy/val` a cada época e, como no texto-base, a perda de cada batch em
# `Loss/train_batch`, com o passo global `época * len(loader) + batch_idx`.

# %%
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # algumas versões avisam ao importar; nada vai para stderr
    from torch.utils.tensorboard import SummaryWriter
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

logdir = Path("runs") / time.strftime("aula08_mlp_%Y%m%d-%H%M%S")
writer = SummaryWriter(logdir)
history = train_run(0.02, writer=writer)
writer.close()
print("arquivos gravados:", [p.name for p in logdir.iterdir()])

# %% [markdown]
# Para abrir o painel, copie para uma célula nova **no Jupyter ou no Colab**:
#
# ```python
# %load_ext tensorboard
# %tensorboard --logdir runs
# ```
#
# ou, num terminal, na pasta do notebook: `tensorboard --logdir runs` e abra
# <http://localhost:6006>. Essas células não fazem parte da aula executável de propósito: o
# `%tensorboard` sobe um servidor e mostra o painel num quadro do navegador, o que não existe
# numa execução sem tela (como a correção automática).
#
# Sem o navegador, dá para conferir o que foi gravado lendo os arquivos de eventos com o
# leitor do próprio TensorBoard, o `EventAccumulator`:

# %%
events = EventAccumulator(str(logdir))
events.Reload()  # lê os arquivos da pasta
print("tags:", events.Tags()["scalars"])
for event in events.Scalars("Loss/val"):
    print(f"  passo {event.step}: Loss/val = {event.value:.4f}")

# %% [markdown]
# `helpers.tensorboard.read_scalars(logdir)` faz o mesmo e devolve um dicionário
# `{tag: [(passo, valor), ...]}`. Os valores voltam em `float32` (é o que o arquivo guarda) e
# batem com o histórico:

# %%
from helpers.tensorboard import read_scalars

scalars = read_scalars(logdir)
logged = [value for _, value in scalars["Accuracy/val"]]
print("Accuracy/val gravada:", [round(v, 4) for v in logged])
print("history['val_acc']:  ", [round(v, 4) for v in history["val_acc"]])
plot_loss_curves({k: history[k] for k in ("train_loss", "val_loss", "val_acc")})

# %% [markdown]
# ### Exercício 2 — `log_history` (2 pontos)
#
# Às vezes o histórico já existe (a função `fit` da aula 07 devolve um) e queremos vê-lo no
# TensorBoard. Escreva `log_history(writer, history)`, que grava `history["train_loss"]`,
# `history["val_loss"]` e `history["val_acc"]` nas tags `Loss/train`, `Loss/val` e
# `Accuracy/val`, uma vez por época, com `global_step` igual ao índice da época **a partir
# de 0**. Não devolve nada. O teste cria o `writer`, fecha-o depois da sua função e lê o
# arquivo de volta com `read_scalars`.

# %% exercise="log_history"
def log_history(writer, history: dict[str, list[float]]) -> None:
    """Grava o histórico de um treino no TensorBoard, uma vez por época."""
    ### BEGIN SOLUTION
    tags = {"train_loss": "Loss/train", "val_loss": "Loss/val", "val_acc": "Accuracy/val"}
    for key, tag in tags.items():
        for epoch, value in enumerate(history[key]):
            writer.add_scalar(tag, value, epoch)
    ### END SOLUTION


# %% test="test_log_history" points=2
import os
import tempfile
import warnings
import torch
from helpers.checks import expect, quietly, reseed
from helpers.tensorboard import read_scalars

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from torch.utils.tensorboard import SummaryWriter

_TAGS = {"train_loss": "Loss/train", "val_loss": "Loss/val", "val_acc": "Accuracy/val"}


def _random_history(n):
    train = (2.3 * torch.rand(n).sort(descending=True).values).tolist()
    val = (train[0] + torch.rand(n)).tolist()
    acc = torch.rand(n).tolist()
    return {"train_loss": train, "val_loss": val, "val_acc": acc}


def _check_log_history(history):
    with tempfile.TemporaryDirectory() as logdir:
        writer = SummaryWriter(logdir)
        quietly(log_history, writer, history)
        writer.close()
        scalars = read_scalars(logdir)
        subfolders = sorted(entry.name for entry in os.scandir(logdir) if entry.is_dir())
    n = len(history["train_loss"])
    for key, tag in _TAGS.items():
        if tag not in scalars and subfolders:
            raise AssertionError(
                f"A tag '{tag}' não foi gravada (tags gravadas: {sorted(scalars)}), mas "
                f"apareceram subpastas {subfolders}: add_scalars grava cada curva numa "
                "subpasta, com outra tag. Use add_scalar, uma tag por curva.")
        expect(tag in scalars, f"A tag '{tag}' não foi gravada (tags gravadas: "
               f"{sorted(scalars)}). Use add_scalar com exatamente essa tag.")
        steps = [step for step, _ in scalars[tag]]
        expect(len(steps) == n, f"A tag '{tag}' tem {len(steps)} valores, mas o histórico "
               f"tem {n} épocas: grave um valor por época.")
        expect(sorted(steps) == list(range(n)), f"Os global_step de '{tag}' são {steps}: "
               "devem ser os índices das épocas, começando em 0.")
        got = torch.tensor([value for _, value in sorted(scalars[tag])])
        want = torch.tensor(history[key])
        expect(torch.allclose(got, want, rtol=1e-6, atol=1e-6),
               f"Os valores da tag '{tag}' não são os de history['{key}']: as tags estão "
               "trocadas ou os valores fora de ordem?")


reseed(0)
_check_log_history(_random_history(4))
### BEGIN HIDDEN TESTS
reseed()
for _n in (1, 3, 12):
    _check_log_history(_random_history(_n))
### END HIDDEN TESTS
print("log_history: testes visíveis OK")

# %% [markdown]
# ## 3. Antes de tudo: superajuste um batch
#
# O hábito que mais economiza tempo de depuração: antes de treinar de verdade, treine o
# modelo num **único batch** pequeno até a perda chegar perto de zero. Um modelo com
# capacidade de sobra consegue decorar 32 exemplos; se ele não consegue, o defeito está no
# código (rótulos desalinhados, perda errada, `step()` esquecido, gradiente que não chega),
# não nos hiperparâmetros, e o teste leva segundos em vez de horas.

# %%
torch.manual_seed(0)
x_one, y_one = x_train[:32], y_train[:32]
model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10)).to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for step in range(STEPS + 1):
    optimizer.zero_grad()
    loss = loss_fn(model(x_one), y_one)
    loss.backward()
    optimizer.step()
    if step % 20 == 0:
        print(f"passo {step:3}: perda no batch = {loss.item():.5f}")
print("acertos no batch:", (model(x_one).argmax(dim=1) == y_one).sum().item(), "de 32")

# %% [markdown]
# ## 4. Problemas comuns e como resolvê-los
#
# ### 4.1 Gradientes que não chegam (`.grad` é `None`)
#
# Sintoma: depois do `backward()`, `p.grad` de algum parâmetro é `None` (ou só zeros) e
# aquela parte do modelo não aprende. Três causas frequentes, cada uma acontecendo:

# %%
# (a) o tensor não rastreia gradientes: foi criado sem requires_grad=True
w = torch.randn(3)
loss = (w * 2).sum()
print("(a) sem requires_grad: loss.requires_grad =", loss.requires_grad, "| w.grad =", w.grad)

# (b) o grafo foi cortado: .detach(), .item(), .numpy() ou torch.tensor(valor) no meio
w = torch.randn(3, requires_grad=True)
hidden = torch.tensor(w.detach().numpy() * 2)  # cópia sem histórico
loss = (hidden * w).sum()
loss.backward()
print("(b) grafo cortado: w.grad =", w.grad, "(só o caminho direto; o de hidden sumiu)")


# (c) a camada existe, mas o forward não a usa
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(4, 8)
        self.extra = nn.Linear(8, 8)  # esquecida no forward
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        return self.head(torch.relu(self.body(x)))


net = Net()
net(torch.randn(5, 4)).sum().backward()
for name, p in net.named_parameters():
    print(f"(c) {name:12} grad {'None' if p.grad is None else 'ok'}")

# %% [markdown]
# As correções: `requires_grad=True` nos tensores folha que são parâmetros (ou use
# `nn.Parameter`/camadas do `nn`); fazer as contas com tensores, sem passar por `.item()`,
# NumPy ou `torch.tensor(...)` no caminho até a perda; e usar no `forward` toda camada que
# deve aprender (ou removê-la). Também é `None` o gradiente de uma camada congelada de
# propósito (`requires_grad_(False)`), e dá **zeros** o de um caminho multiplicado por zero
# ou de ReLUs mortas (seção 4.5): o parâmetro participa, mas nada volta para ele.
#
# ### Exercício 3 — `dead_parameters` (3 pontos)
#
# Escreva `dead_parameters(model)`, chamada **depois** de um `backward()`, que devolve a
# lista dos **nomes** (como `model.named_parameters()` os dá, na mesma ordem) dos parâmetros
# cujo `.grad` é `None` **ou** só tem zeros. Buffers (como a média acumulada de uma
# `BatchNorm`) não são parâmetros.

# %% exercise="dead_parameters"
def dead_parameters(model: nn.Module) -> list[str]:
    """Nomes dos parâmetros sem gradiente (None ou só zeros), na ordem de named_parameters()."""
    ### BEGIN SOLUTION
    return [name for name, p in model.named_parameters() if p.grad is None or not p.grad.any()]
    ### END SOLUTION


# %% test="test_dead_parameters" points=2
import torch
from torch import nn
from helpers.checks import assert_names, expect, quietly, reseed


class _Probe(nn.Module):
    """Um parâmetro de cada tipo, com nomes fora da ordem alfabética."""

    def __init__(self):
        super().__init__()
        self.offset = nn.Parameter(torch.full((3,), -2.0))  # parâmetro direto: vem primeiro
        self.balance = nn.Parameter(torch.tensor([1.0, 0.0]))
        self.embed = nn.Linear(6, 8)
        self.norm = nn.BatchNorm1d(8)  # tem buffers, que não são parâmetros
        self.frozen = nn.Linear(8, 8)
        self.frozen.requires_grad_(False)
        self.dead = nn.Linear(8, 8)
        self.unused = nn.Linear(8, 8)
        self.tiny = nn.Linear(8, 3)
        self.head = nn.Linear(8, 3)

    def forward(self, x):
        h = self.norm(torch.relu(self.embed(x)))
        h = h * (self.balance[0] - self.balance[1])  # gradiente [g, -g]: soma zero, não é zero
        h = self.frozen(h) + 0 * self.dead(h)  # caminho morto: gradiente só de zeros
        out = self.head(h) + 1e-6 * self.tiny(h)  # gradiente pequeno (até ~1e-5), mas vivo
        return out + torch.relu(self.offset)  # relu(-2) = 0: gradiente zero


_WHY = {
    "frozen.weight": "camada congelada: .grad é None",
    "frozen.bias": "camada congelada: .grad é None",
    "dead.weight": "caminho multiplicado por 0: .grad só tem zeros",
    "dead.bias": "caminho multiplicado por 0: .grad só tem zeros",
    "unused.weight": "camada que o forward não usa: .grad é None",
    "unused.bias": "camada que o forward não usa: .grad é None",
    "offset": "passa por relu de um valor negativo: .grad só tem zeros",
    "embed.weight": "recebe gradiente (algumas entradas são zero, não todas)",
    "balance": "recebe gradiente: as entradas não são zero, só a soma (e a média) delas é",
    "tiny.weight": "recebe gradiente pequeno (perto de 1e-5), mas não zero: não use tolerância",
    "tiny.bias": "recebe gradiente pequeno (perto de 1e-5), mas não zero: não use tolerância",
    "norm.running_mean": "é um buffer, não um parâmetro",
    "norm.running_var": "é um buffer, não um parâmetro",
    "norm.num_batches_tracked": "é um buffer, não um parâmetro",
}
_DEAD = ["offset", "frozen.weight", "frozen.bias", "dead.weight", "dead.bias", "unused.weight",
         "unused.bias"]


def _check_probe(rows):
    model = _Probe()
    x = torch.randn(rows, 6)
    x[:, int(torch.randint(0, 6, ()))] = 0  # essa coluna de embed.weight recebe gradiente zero
    model(x).pow(2).sum().backward()
    grads = {name: None if p.grad is None else p.grad.clone()
             for name, p in model.named_parameters()}
    got = quietly(dead_parameters, model)
    for name, p in model.named_parameters():
        kept = p.grad is None if grads[name] is None else (
            p.grad is not None and torch.equal(p.grad, grads[name]))
        expect(kept, f"Depois de dead_parameters(model), o .grad de '{name}' mudou: a função "
               "só deve ler os gradientes, sem zero_grad() nem outra alteração.")
    assert_names(got, _DEAD, _WHY, "dead_parameters(model)", source="de model.named_parameters()")


reseed(0)
_check_probe(16)
### BEGIN HIDDEN TESTS
reseed()
_check_probe(9)
### END HIDDEN TESTS
print("dead_parameters: testes visíveis OK")

# %% test="test_dead_parameters_random" points=1
import torch
from torch import nn
from helpers.checks import assert_names, expect, quietly, reseed


class _Chain(nn.Module):
    """Blocos lineares com um papel sorteado cada: vivo, vivo com gradiente pequeno, congelado,
    morto (ReLU) ou sem uso."""

    def __init__(self, roles):
        super().__init__()
        self.roles = roles
        self.blocks = nn.ModuleList(nn.Linear(5, 5) for _ in roles)
        for block, role in zip(self.blocks, roles):
            if role == "frozen":
                block.requires_grad_(False)
            if role == "dead_relu":
                with torch.no_grad():
                    block.bias.fill_(-100.0)  # toda saída negativa: a ReLU zera tudo

    def forward(self, x):
        out = x
        for block, role in zip(self.blocks, self.roles):
            if role == "unused":
                continue
            if role == "dead_relu":
                out = out + torch.relu(block(out))  # soma zero e o gradiente dele é zero
            elif role == "tiny":
                out = out + 1e-6 * torch.tanh(block(out))  # gradiente pequeno, mas não zero
            else:
                out = torch.tanh(block(out))
        return out


def _check_chain(roles):
    model = _Chain(roles)
    model(torch.randn(7, 5)).pow(2).sum().backward()
    expected = [f"blocks.{i}.{kind}" for i, role in enumerate(roles) if role not in ("live", "tiny")
                for kind in ("weight", "bias")]
    why = {f"blocks.{i}.{kind}": {"live": "recebe gradiente",
                                  "frozen": "camada congelada: .grad é None",
                                  "unused": "camada que o forward não usa: .grad é None",
                                  "dead_relu": "ReLU morta: .grad só tem zeros",
                                  "tiny": "recebe gradiente pequeno, mas não zero: não use "
                                          "tolerância"}[role]
           for i, role in enumerate(roles) for kind in ("weight", "bias")}
    grads = [None if p.grad is None else p.grad.clone() for p in model.parameters()]
    got = quietly(dead_parameters, model)
    for (name, p), old in zip(model.named_parameters(), grads):
        kept = p.grad is None if old is None else p.grad is not None and torch.equal(p.grad, old)
        expect(kept, f"Depois de dead_parameters(model), o .grad de '{name}' mudou: a função "
               "só deve ler os gradientes, sem zero_grad() nem outra alteração.")
    assert_names(got, expected, why, "dead_parameters(model)", source="de model.named_parameters()")


reseed(0)
_check_chain(["live", "dead_relu", "live", "frozen", "tiny", "live", "unused", "live"])
### BEGIN HIDDEN TESTS
reseed()
_roles = ["live", "frozen", "unused", "dead_relu", "tiny"]
for _ in range(4):
    _picked = ["live"] + [_roles[int(i)] for i in torch.randint(0, 5, (6,))] + ["live"]
    _check_chain(_picked)
### END HIDDEN TESTS
print("dead_parameters (modelos sorteados): testes visíveis OK")

# %% [markdown]
# ### 4.2 A perda vira `nan`
#
# Sintoma: a perda imprime `nan` e, depois do `step()`, todos os pesos também viram `nan`.
# Um caso real: a entropia cruzada binária escrita à mão,
# $-[y \log p + (1 - y)\log(1 - p)]$ com $p = \sigma(z)$. Quando o modelo acerta com muita
# confiança ($z = 20$, $y = 1$), $p$ arredonda para exatamente 1,0 em `float32`,
# $\log(1 - p) = -\infty$, e $0 \cdot (-\infty)$ é `nan`:

# %%
z = torch.tensor([20.0, -1.0, 0.5], requires_grad=True)  # logits
y = torch.tensor([1.0, 0.0, 1.0])                        # rótulos
p = torch.sigmoid(z)
loss = -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()
print("p =", p.detach(), "| perda =", loss.item())

# %% [markdown]
# Num modelo grande não dá para olhar cada conta. O **modo de anomalia**
# (`torch.autograd.set_detect_anomaly(True)`) guarda, no forward, de onde veio cada
# operação, e no `backward()` para na primeira função cujo gradiente dá `nan`: o erro diz
# qual função, e um aviso mostra a linha do forward que a criou. (Ele deixa o treino bem
# mais lento: ligue só para procurar o defeito.) A célula captura o aviso para mostrá-lo
# aqui, em vez de deixá-lo ir para stderr:

# %%
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    with torch.autograd.set_detect_anomaly(True):
        p = torch.sigmoid(z)
        loss = -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()
        try:
            loss.backward()
        except RuntimeError as err:
            print("RuntimeError:", err)
for w in caught:
    lines = str(w.message).splitlines()
    frames = [i for i, line in enumerate(lines) if line.strip().startswith("File ")]
    print("aviso:", lines[0])
    print("linha do forward que criou a conta:", lines[frames[-1] + 1].strip())

# %% [markdown]
# `LogBackward0` é o gradiente de um `torch.log`, e a linha do forward aponta a conta. A
# correção não é "somar um epsilon": é usar a versão estável que o PyTorch já tem, que
# trabalha direto com os logits, `F.binary_cross_entropy_with_logits` (para várias classes,
# `nn.CrossEntropyLoss` com logits, sem `softmax` antes):

# %%
z.grad = None
loss = F.binary_cross_entropy_with_logits(z, y)
loss.backward()
print("perda =", loss.item(), "| grad =", z.grad)

# %% [markdown]
# ### 4.3 Gradientes que explodem
#
# Sintoma: a perda salta para valores enormes, `inf` e depois `nan`. A norma do gradiente,
# camada a camada, cresce a cada multiplicação por pesos grandes. Uma rede linear de 12
# camadas com pesos um pouco grandes demais mostra isso:

# %%
def deep_linear(depth=12, width=32, gain=2.0, seed=0):
    torch.manual_seed(seed)
    layers = [nn.Linear(width, width) for _ in range(depth)]
    for layer in layers:
        nn.init.normal_(layer.weight, std=gain / math.sqrt(width))
    return nn.Sequential(*layers)


torch.manual_seed(0)
x_reg, y_reg = torch.randn(64, 32), torch.randn(64, 32)
model = deep_linear()
loss = F.mse_loss(model(x_reg), y_reg)
loss.backward()
total = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in model.parameters()]))
print(f"perda inicial {loss.item():.3g}, norma total do gradiente {total.item():.3g}")


def train_deep(max_norm=None, steps=6, lr=1e-3):
    model = deep_linear()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.mse_loss(model(x_reg), y_reg)
        loss.backward()
        if max_norm is not None:
            nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        optimizer.step()
        losses.append(loss.item())
    return losses


print("sem corte:          ", [f"{v:.3g}" for v in train_deep()])
print("clip_grad_norm_(1): ", [f"{v:.3g}" for v in train_deep(max_norm=1.0)])

# %% [markdown]
# `nn.utils.clip_grad_norm_(parameters, max_norm)` trata todos os gradientes como **um único
# vetor**: calcula a norma total $\lVert g \rVert$ e, se ela passa de `max_norm`, multiplica
# todos por `max_norm / ‖g‖`. A direção do passo não muda, só o tamanho. Ele devolve a norma
# total **antes** do corte (ótima para registrar no TensorBoard). Vai entre o `backward()` e
# o `step()`. Cortar não conserta a causa (aqui, a inicialização; em geral, também taxa de
# aprendizado alta): é um cinto de segurança. Existe ainda `clip_grad_value_`, que corta cada
# entrada separadamente e por isso muda a direção do gradiente.
#
# ### Exercício 4 — `clipped_step` (2 pontos)
#
# Escreva `clipped_step(model, loss_fn, x, y, optimizer, max_norm)`, um passo de treino com
# corte: zera os gradientes, forward, perda, backward, corta a norma **total** dos gradientes
# em `max_norm`, `step()`. Devolve a norma total **antes** do corte, como `float`.

# %% exercise="clipped_step"
def clipped_step(model, loss_fn, x, y, optimizer, max_norm: float) -> float:
    """Um passo de treino com a norma total do gradiente cortada em max_norm."""
    ### BEGIN SOLUTION
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    return float(norm)
    ### END SOLUTION


# %% test="test_clipped_step" points=2
import copy
import torch
from torch import nn
from helpers.checks import expect, quietly, reseed


def _fresh_grad_norm(model, loss_fn, x, y):
    """Norma total do gradiente da perda, numa cópia (o modelo do teste fica intacto)."""
    clone = copy.deepcopy(model)
    grads = torch.autograd.grad(loss_fn(clone(x), y), list(clone.parameters()))
    return _total(grads), grads


def _total(tensors):
    return torch.linalg.vector_norm(torch.stack([t.norm() for t in tensors])).item()


def _near(got, want):
    return abs(got - want) <= 1e-3 * abs(want)


def _norm_hint(got, norm, max_norm, grads, stale, loss):
    """O engano que explica a norma devolvida, se for um dos comuns."""
    candidates = [
        (_total([g + s for g, s in zip(grads, stale)]),
         "Esse valor inclui os gradientes antigos do modelo: eles foram zerados antes do "
         "backward?"),
        (min(norm, max_norm), "Essa é a norma depois do corte; devolva a de antes."),
        (grads[0].norm().item(), "Essa é a norma só do primeiro parâmetro: a norma total junta "
                                 "os gradientes de todos."),
        (norm**2, "Esse é o quadrado da norma."),
        (sum(g.norm().item() for g in grads), "Essa é a soma das normas de cada parâmetro, não "
                                              "a norma de todos os gradientes juntos como um "
                                              "único vetor."),
        (sum(g.abs().sum().item() for g in grads), "Essa é a norma L1 (soma dos valores "
                                                   "absolutos); o corte usa a norma 2, o padrão."),
        (loss, "Esse é o valor da perda, não a norma do gradiente."),
    ]
    for value, hint in candidates:
        if _near(got, value):
            return hint
    return ("Devolva a norma total de todos os gradientes juntos, medida depois do backward() "
            "e antes do corte.")


def _step_hint(delta, lr, norm, max_norm, grads, stale):
    """O engano que explica o passo dado, se for um dos comuns (None quando o passo está certo)."""
    g = torch.cat([t.flatten() for t in grads])
    right = lr * g * min(1.0, max_norm / norm)
    candidates = [
        (right, None),
        (lr * g, "Os parâmetros andaram como num passo sem corte: o corte precisa agir nos "
                 "gradientes depois do backward() e antes do step()."),
        (lr * g * max_norm / norm,
         f"A norma ({norm:.6g}) já estava abaixo de max_norm ({max_norm:.6g}), mas o passo "
         "ficou do tamanho de max_norm: o corte só diminui gradientes grandes, nunca aumenta os "
         "pequenos."),
        (2 * right, "Os parâmetros andaram o dobro do esperado: step() foi chamado duas vezes?"),
        (lr * g.clamp(-max_norm, max_norm),
         "Cada valor do gradiente foi cortado separadamente (como faz clip_grad_value_), o que "
         "muda a direção do passo: corte a norma total."),
        (lr * torch.cat([(t * min(1.0, max_norm / t.norm().item())).flatten() for t in grads]),
         "Cada parâmetro foi cortado separadamente: é a norma TOTAL, de todos os gradientes "
         "juntos, que deve ficar em max_norm."),
    ]
    both = torch.cat([(t + s).flatten() for t, s in zip(grads, stale)])
    candidates.append((lr * both * min(1.0, max_norm / both.norm().item()),
                       "O passo usou os gradientes antigos somados aos novos: eles foram "
                       "zerados antes do backward?"))
    for want, hint in candidates:
        if (delta - want).norm() <= 1e-3 * want.norm() + 1e-7:
            return hint
    moved, expected = delta.norm().item(), right.norm().item()
    cosine = torch.nn.functional.cosine_similarity(delta, g, dim=0).item()
    if cosine > 0.9999:
        return (f"O passo tem a direção do gradiente, mas o tamanho de um corte em "
                f"{moved / lr:.6g}, e não em max_norm = {max_norm:.6g}: o corte usou o "
                "max_norm recebido?")
    return (f"Os parâmetros andaram {moved:.6g} numa direção diferente da do gradiente (o "
            f"esperado era {expected:.6g} na direção dele): confira a ordem zero_grad, forward, "
            "backward, corte, step, e corte a norma total (todos os gradientes multiplicados "
            "pelo mesmo fator).")


def _check_sgd(max_norm, scale):
    model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3))
    loss_fn = nn.MSELoss()
    x, y = torch.randn(20, 6), scale * torch.randn(20, 3)
    model(x).sum().backward()  # gradientes velhos no modelo: precisam ser zerados
    stale = [p.grad.clone() for p in model.parameters()]
    norm, grads = _fresh_grad_norm(model, loss_fn, x, y)
    with torch.no_grad():
        loss = loss_fn(model(x), y).item()
    before = [p.detach().clone() for p in model.parameters()]
    lr = 0.1
    got = quietly(clipped_step, model, loss_fn, x, y, torch.optim.SGD(model.parameters(), lr=lr),
                  max_norm)
    expect(got is not None, "clipped_step deve devolver a norma total (um float).")
    got = float(got)
    expect(abs(got - norm) <= 1e-4 * norm,
           f"clipped_step devolveu {got:.6g}, mas a norma total do gradiente antes do corte é "
           f"{norm:.6g}. " + _norm_hint(got, norm, max_norm, grads, stale, loss))
    delta = torch.cat([(b - p.detach()).flatten() for b, p in zip(before, model.parameters())])
    hint = _step_hint(delta, lr, norm, max_norm, grads, stale)
    expect(hint is None, f"Com max_norm = {max_norm:.6g} e norma {norm:.6g}: {hint}")


reseed(0)
_check_sgd(max_norm=0.3, scale=10.0)  # norma bem acima de max_norm: o corte age
_check_sgd(max_norm=1e3, scale=1.0)   # norma abaixo: passo normal
### BEGIN HIDDEN TESTS
def _check_reference(make_optimizer, max_norm):
    model = nn.Sequential(nn.Linear(5, 12), nn.ReLU(), nn.Linear(12, 12), nn.ReLU(),
                          nn.Linear(12, 4))
    loss_fn = nn.CrossEntropyLoss()
    x, y = 3 * torch.randn(24, 5), torch.randint(0, 4, (24,))
    model(x).sum().backward()  # gradientes velhos
    ref = copy.deepcopy(model)
    ref_opt = make_optimizer(ref.parameters())
    ref_opt.zero_grad()
    loss_fn(ref(x), y).backward()
    ref_norm = float(torch.nn.utils.clip_grad_norm_(ref.parameters(), max_norm))
    ref_opt.step()
    got = float(quietly(clipped_step, model, loss_fn, x, y, make_optimizer(model.parameters()),
                        max_norm))
    expect(abs(got - ref_norm) <= 1e-4 * ref_norm, "A norma devolvida não é a de antes do corte.")
    for p, q in zip(model.parameters(), ref.parameters()):
        torch.testing.assert_close(p.detach(), q.detach())


reseed()
for _max_norm in (0.05, 0.3, 100.0):
    _check_reference(lambda ps: torch.optim.SGD(ps, lr=0.5, momentum=0.9), _max_norm)
    _check_reference(lambda ps: torch.optim.Adam(ps, lr=0.01), _max_norm)
_check_sgd(max_norm=0.2, scale=5.0)
### END HIDDEN TESTS
print("clipped_step: testes visíveis OK")

# %% [markdown]
# ### 4.4 Gradientes que desaparecem
#
# O contrário: em redes profundas com ativações que saturam (sigmoid, tanh), cada camada
# multiplica o gradiente por derivadas menores que 1 (a da sigmoid não passa de 0,25), e ele
# chega às primeiras camadas quase zero. Sintoma: a perda mal se mexe, e as primeiras camadas
# não aprendem. Medindo a norma do gradiente dos pesos de cada camada de uma rede de 12
# camadas, num batch do MNIST:

# %%
def deep_mlp(activation, depth=12, width=64, seed=0):
    torch.manual_seed(seed)
    layers = [nn.Flatten(), nn.Linear(784, width), activation()]
    for _ in range(depth - 2):
        layers += [nn.Linear(width, width), activation()]
    layers.append(nn.Linear(width, 10))
    return nn.Sequential(*layers).to(device)


grad_norms = {}
for activation in (nn.Sigmoid, nn.ReLU):
    model = deep_mlp(activation)
    loss_fn(model(x_train[:64]), y_train[:64]).backward()
    grad_norms[activation.__name__] = [m.weight.grad.norm().item() for m in model
                                       if isinstance(m, nn.Linear)]
    print(f"{activation.__name__:8}", " ".join(f"{g:.0e}" for g in grad_norms[activation.__name__]))

fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
for name, norms in grad_norms.items():
    ax.semilogy(range(1, len(norms) + 1), norms, marker="o", label=name)
ax.set(xlabel="camada (1 = a mais perto da entrada)", ylabel="norma do gradiente dos pesos",
       title="Gradientes por camada numa rede de 12 camadas")
ax.grid(alpha=0.3)
ax.legend()
plt.close(fig)
fig

# %% [markdown]
# Com sigmoid, a primeira camada recebe um gradiente centenas de milhões de vezes menor que
# a última:
# na prática ela não treina. Com ReLU (derivada 1 onde está ativa) a queda é bem menor. As
# soluções do texto-base valem: ReLU ou LeakyReLU, otimizadores adaptativos como Adam (que
# normalizam o tamanho do passo por parâmetro) e conexões residuais (*skip connections*,
# `x + f(x)`), que dão ao gradiente um caminho direto; somam-se a elas uma boa
# inicialização (`nn.init.kaiming_normal_` para ReLU) e normalização (`BatchNorm`).
#
# ### 4.5 A perda não se mexe
#
# Sintoma: a perda fica parada (ou quase) época após época. Causas comuns, cada uma num
# treino curto no mesmo batch da seção 3, comparadas com o treino correto (e, para cada
# uma, os parâmetros que `dead_parameters` apontaria depois do último `backward()`):

# %%
def stuck_run(bug=None, steps=STEPS):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10)).to(device)
    if bug == "ReLUs mortas":
        with torch.no_grad():
            model[1].bias.fill_(-50.0)  # toda pré-ativação negativa: a ReLU devolve só zeros
    lr = 1e-6 if bug == "taxa minúscula" else 0.05
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        if bug != "sem zero_grad":
            optimizer.zero_grad()
        loss = loss_fn(model(x_one), y_one)
        loss.backward()
        if bug != "sem step":
            optimizer.step()
        losses.append(loss.item())
    dead = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.any()]
    return losses, dead


for bug in (None, "taxa minúscula", "sem step", "ReLUs mortas", "sem zero_grad"):
    losses, dead = stuck_run(bug)
    print(f"{bug or 'correto':15} perda: {losses[0]:.3f} -> {losses[-1]:.3f}"
          f"   parâmetros sem gradiente: {dead}")

# %% [markdown]
# - **taxa minúscula**: a perda muda na quarta casa decimal. Aumente a taxa de aprendizado
#   (um teste rápido: multiplique por 10 até a perda cair, e volte um passo quando oscilar).
# - **sem `step()`**: os gradientes são calculados e ninguém os aplica.
# - **ReLUs mortas**: todas as pré-ativações da camada escondida são negativas, a ReLU devolve
#   zero e a derivada dela é zero, então a primeira camada não recebe gradiente nenhum
#   (`1.weight` e `1.bias`) e a segunda recebe entradas só de zeros (`3.weight`); a saída
#   é constante e só o bias da última camada aprende, o que mal mexe a perda. Acontece com
#   inicialização ruim ou depois de um passo grande demais; LeakyReLU, uma taxa menor ou
#   uma boa inicialização evitam.
# - **sem `zero_grad()`**: este **não** deixa a perda parada, e aqui até parece ajudar: os
#   gradientes se somam de um passo para o outro, como um momentum que nunca esquece, e num
#   batch só isso acelera. Num treino de verdade, com um batch diferente a cada passo, a
#   direção vira a soma de todos os gradientes antigos e o passo cresce sem parar: o treino
#   oscila ou diverge. Confira que `zero_grad()` vem antes de cada `backward()`.
#
# Se nada disso explica, confira os dados: imagens e rótulos alinhados (mostre alguns com
# `helpers.plots.plot_digits`) e entradas normalizadas.
#
# ### 4.6 Memória: estime antes de rodar
#
# Quando a GPU não tem memória para o treino, o PyTorch levanta um `torch.OutOfMemoryError`
# cuja mensagem começa com `CUDA out of memory. Tried to allocate ...` e diz quanto a GPU tem
# e quanto já está ocupado. Em vez de esgotar a memória para descobrir o limite, **estime**.
# Num treino com Adam, a memória dos tensores é mais ou menos a soma de:
#
# - **parâmetros**: 4 bytes por número em `float32`;
# - **gradientes**: o mesmo tamanho dos parâmetros;
# - **estado do otimizador**: Adam guarda duas médias por parâmetro (2× os parâmetros; SGD
#   com momentum, 1×; SGD puro, nada);
# - **ativações** que o autograd guarda para o `backward()`: crescem **com o tamanho do
#   batch**, e costumam ser a maior parte.
#
# A função abaixo mede as ativações de **um** exemplo (o tamanho da saída de cada camada, com
# ganchos de forward) e multiplica pelo tamanho do batch:

# %%
def estimate_memory(model, example, batch_size, optimizer_slots=2):
    """Estimativa em bytes: parâmetros, gradientes, estado do otimizador e ativações."""
    params = sum(p.numel() * p.element_size() for p in model.parameters())
    activation_bytes = []

    def hook(module, inputs, output):
        activation_bytes.append(output.numel() * output.element_size())

    leaves = [m for m in model.modules() if not list(m.children())]
    handles = [m.register_forward_hook(hook) for m in leaves]
    try:
        with torch.no_grad():
            model(example[:1])
    finally:
        for handle in handles:
            handle.remove()
    return {"parâmetros": params, "gradientes": params, "otimizador": optimizer_slots * params,
            "ativações": sum(activation_bytes) * batch_size}


big = nn.Sequential(nn.Flatten(), nn.Linear(784, 4096), nn.ReLU(), nn.Linear(4096, 4096),
                    nn.ReLU(), nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, 10))
print(f"{'batch':>7}  " + "  ".join(f"{k:>11}" for k in ("parâmetros", "gradientes",
                                                          "otimizador", "ativações", "total")))
for batch_size in (64, 1024, 16384, 131072):
    parts = estimate_memory(big, x_train, batch_size)
    row = list(parts.values()) + [sum(parts.values())]
    print(f"{batch_size:>7}  " + "  ".join(f"{b / 2**30:9.2f} G" for b in row))

# %% [markdown]
# Os parâmetros, gradientes e estado do Adam não dependem do batch (~0,55 GiB aqui); as
# ativações sim: com 131 072 imagens por batch a conta passa de 12 GiB, perto do que uma GPU
# T4 do Colab tem (15 GiB), antes de contar a memória que o próprio CUDA reserva. Quando o
# erro aparece: reduza o batch (e, se precisar do efeito de um batch grande, acumule
# gradientes de vários micro-batches, como na aula 02), valide sob `torch.no_grad()` (aula
# 03: sem grafo, sem ativações guardadas) e não guarde tensores com grafo entre iterações
# (`total += loss` guarda o grafo de todas; `total += loss.item()`, não). `del` numa variável
# só libera a memória quando nada mais aponta para o tensor.
#
# ### Aprofundamento (opcional): conferindo a estimativa das ativações
#
# A estimativa conta a saída de **toda** camada. O autograd guarda só o que cada `backward`
# precisa: a entrada de cada `Linear` e a saída de cada `ReLU` (o `Flatten` é uma *view*, sem
# cópia). O gancho `torch.autograd.graph.saved_tensors_hooks`, visto na aula 03, mede o que
# foi guardado de fato num forward com um batch de 256 imagens:

# %%
def saved_bytes(model, batch):
    """Bytes dos tensores que o autograd guardou para o backward, sem contar os parâmetros."""
    param_ptrs = {p.data_ptr() for p in model.parameters()}
    saved = {}

    def pack(t):
        if t.data_ptr() not in param_ptrs:
            saved[t.data_ptr()] = t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        model(batch)
    return sum(saved.values())


batch = torch.randn(256, 1, 28, 28)
print(f"estimado (saídas de todas as camadas): "
      f"{estimate_memory(big, batch, 256)['ativações'] / 2**20:.1f} MiB")
print(f"guardado pelo autograd:               {saved_bytes(big, batch) / 2**20:.1f} MiB")

# %% [markdown]
# As duas contas ficam na mesma ordem de grandeza, e é isso que uma estimativa precisa: a de
# saídas de todas as camadas é um limite por cima razoável. Numa GPU, o mesmo se mede com
# `torch.cuda.max_memory_allocated()` depois de um passo de treino (zerando antes com
# `torch.cuda.reset_peak_memory_stats()`).
#
# ### Aprofundamento (opcional): quanto custa o modo de anomalia
#
# O modo de anomalia guarda a pilha de chamadas de cada operação e confere cada gradiente:
# use-o só para achar o defeito e desligue depois.

# %%
def timed_steps(anomaly, steps=20):
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10)).to(device)
    with torch.autograd.set_detect_anomaly(anomaly):
        start = time.perf_counter()
        for _ in range(steps):
            model.zero_grad()
            loss_fn(model(x_one), y_one).backward()
        return (time.perf_counter() - start) / steps * 1e3


timed_steps(False, steps=2)  # aquecimento
print(f"sem anomalia: {timed_steps(False):.2f} ms por passo")
print(f"com anomalia: {timed_steps(True):.2f} ms por passo")

# %% [markdown]
# ## Erros comuns
#
# As mensagens abaixo são produzidas pelas células, como o PyTorch as imprime.
#
# **`element 0 of tensors does not require grad and does not have a grad_fn`**

# %%
model = nn.Linear(4, 1)
with torch.no_grad():  # por exemplo, a perda calculada dentro do bloco de validação
    loss = model(torch.randn(8, 4)).pow(2).mean()
try:
    loss.backward()
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# Causa: a perda não tem grafo: foi calculada sob `torch.no_grad()`/`inference_mode()`, de
# tensores sem `requires_grad`, ou depois de um `.detach()`/`.item()`. Correção: calcule a
# perda de treino fora desses blocos e sem cortar o caminho até os parâmetros.
#
# **`Function 'LogBackward0' returned nan values in its 0th output.`**

# %%
z = torch.tensor([20.0, -1.0], requires_grad=True)
y = torch.tensor([1.0, 0.0])
with warnings.catch_warnings(record=True), torch.autograd.set_detect_anomaly(True):
    p = torch.sigmoid(z)
    loss = -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()
    try:
        loss.backward()
    except RuntimeError as err:
        print("RuntimeError:", err)

# %% [markdown]
# Causa: com `set_detect_anomaly(True)` ligado, um gradiente deu `nan` (aqui, `log(0)` na
# entropia cruzada escrita à mão; o aviso que acompanha o erro aponta a linha do forward).
# Correção: a versão estável da perda (`F.binary_cross_entropy_with_logits`,
# `nn.CrossEntropyLoss` com logits); para `log`/`sqrt`/divisões suas, garanta o domínio.
#
# **`The total norm of order 2.0 for gradients from `parameters` is non-finite, so it cannot be clipped.`**

# %%
model = nn.Linear(3, 1)
(model(torch.randn(2, 3)).sum() * math.inf).backward()
try:
    nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0, error_if_nonfinite=True)
except RuntimeError as err:
    print("RuntimeError:", err)
print("sem error_if_nonfinite:", nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0))

# %% [markdown]
# Causa: o gradiente já tinha `inf`/`nan`; cortar não salva isso (sem
# `error_if_nonfinite=True`, o padrão, ele devolve `nan` em silêncio e o `step()` estraga os
# pesos). Correção: ache a origem do `nan` (seção 4.2), reduza a taxa de aprendizado; para
# pular os passos ruins, confira `math.isfinite(norm)` antes do `step()`.
#
# **`Tensor should contain one element (0 dimensions).`**

# %%
writer = SummaryWriter(Path("runs") / time.strftime("aula08_erro_%Y%m%d-%H%M%S"))
try:
    writer.add_scalar("Loss/train", torch.tensor([0.5, 0.7]), 0)
except AssertionError as err:
    print("AssertionError:", " ".join(str(err).split()))
writer.close()

# %% [markdown]
# Causa: `add_scalar` grava **um** número; aqui recebeu um tensor com dois (a perda sem
# `.mean()`, ou a de cada exemplo). Correção: reduza antes (`loss.mean()`) e grave
# `loss.item()`.
#
# **`CUDA out of memory. Tried to allocate ...`** — não o provocamos de propósito (a seção 4.6
# mostra como estimar a memória antes); reduza o batch, valide sob `no_grad` e não acumule
# tensores com grafo.
#
# ## Resumo
#
# - Curvas de perda: treino subindo ou `nan` = taxa alta; caindo devagar = taxa baixa ou
#   épocas de menos; validação com mínimo cedo e subindo = overfitting; treino e validação
#   juntas e altas = underfitting; batch pequeno = perda por batch ruidosa.
# - TensorBoard: `SummaryWriter(logdir)`, `add_scalar(tag, valor, passo)`, `close()`;
#   `%load_ext tensorboard` e `%tensorboard --logdir runs` no Jupyter/Colab; os eventos se
#   leem de volta com o `EventAccumulator` (`helpers.tensorboard.read_scalars`).
# - Primeiro superajuste um batch; se não chegar perto de zero, o defeito é de código.
# - `.grad` `None`: falta `requires_grad`, grafo cortado ou camada sem uso; zeros: caminho
#   morto ou ReLUs mortas.
# - `nan`: `torch.autograd.set_detect_anomaly(True)` aponta a função; use perdas estáveis.
# - Gradientes que explodem: `clip_grad_norm_` entre `backward()` e `step()`; que somem:
#   ReLU, boa inicialização, Adam, conexões residuais.
# - Memória: parâmetros + gradientes + estado do otimizador + ativações (que crescem com o
#   batch).
#
# Esta é a última aula do módulo. Daqui para a frente, todo treino seu começa por superajustar
# um batch e termina com as curvas no TensorBoard: compare os treinos lado a lado e deixe que
# elas digam qual hiperparâmetro mudar.
