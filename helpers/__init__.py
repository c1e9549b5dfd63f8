"""Pacote de apoio do Módulo 4 — PyTorch: a base para modelos de Deep Learning.

Cada módulo tem uma responsabilidade, e a docstring de cada função pública diz em
que aula ela aparece pela primeira vez:

- ``helpers.checks``: checagens com mensagens em português usadas pelos testes (aula 01).
- ``helpers.device``: escolhe CUDA, Apple MPS ou CPU e descreve o escolhido (aula 01).
- ``helpers.doctor``: diagnóstico do ambiente, cada problema com a correção (aula 01).
- ``helpers.mnist``: arquivos do MNIST sem rede, conferidos, e os datasets do torchvision (aula 07).
- ``helpers.loaders``: loaders rápidos do MNIST no device e o ``DataLoader`` padrão (aula 07).
- ``helpers.progress``: barras de progresso que se desligam na correção (aula 07).
- ``helpers.plots``: curvas de treino, gráfico ao vivo e grade de dígitos (aulas 07 e 08).
- ``helpers.optim_paths``: caminhos de otimizadores sobre curvas de nível (aula 06).
- ``helpers.tensorboard``: lê de volta os escalares gravados para o TensorBoard (aula 08).

Nada é importado aqui: ``import helpers`` é instantâneo, e cada aula importa só o módulo
que usa (``from helpers.loaders import mnist_loaders``).
"""

__version__ = "0.1.0"
