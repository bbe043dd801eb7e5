"""Claims of the section "Nonsaturating Activation Functions" (ReLU and its variants, ELU, SELU).

Designs were chosen on pilot seeds (role "pilot", seed bases 0 and 7), never on the evidence seeds; the pilot
numbers are in ablations/test_activations.py next to each choice.
"""

from ..claims import Claim

SECTION = "activations"
GERON = "Geron, Hands-On ML, ch. 11 (Nonsaturating Activation Functions)"
GLOROT = "Geron ch. 11 (Glorot & Bengio 2010: sigmoid with N(0,1) init)"
SELU = "Geron ch. 11; Klambauer et al. 2017, Self-Normalizing Neural Networks (Theorem 1)"

CLAIMS = (
    Claim(
        id="leaky-relu-never-zero-gradient", section=SECTION, source=GERON,
        sentence="For z < 0 the gradient of leaky ReLU is alpha, never 0 (so leaky units never die); the gradient of "
                 "ELU is alpha*exp(z), positive.",
        kind="exact", metric="autograd gradient at 4096 random negative inputs z = -|N(0, 5^2)| per seed "
                             "(float32: ELU's exp(z) underflows only below z = -103)",
        direction="holds", arms=("leaky_relu (alpha 0.2)", "elu (alpha 1)"),
    ),
    Claim(
        id="dying-relu", section=SECTION, source=GERON,
        sentence="With a large learning rate a ReLU net ends with a substantial fraction of dead units (outputting 0 "
                 "for every training example); leaky ReLU, ELU and SELU have (almost) none.",
        kind="directional",
        metric="fraction of dead hidden units on the digits training set after training (5x100, He init; SELU LeCun; "
               "Adam lr 0.03 = 30x its default, batch 64, 5 epochs quick / 10 full); compared as "
               "ReLU vs other + delta, so 'substantial' means more than delta above each other activation",
        direction="greater", arms=("relu", "leaky_relu / elu / selu"), delta=0.05,
    ),
    Claim(
        id="sigmoid-saturation-vanishing", section=SECTION, source=GLOROT,
        sentence="A deep sigmoid net with N(0,1) weights saturates (a large fraction of units near 0 or 1) and its "
                 "lowest layers' gradients vanish; He-initialized ReLU-family nets do not.",
        kind="directional",
        metric="log10(weight-gradient norm of the bottom hidden layer / top hidden layer) at init, 20x100, 512 digits "
               "examples (sub-decision: mean fraction of sigmoid outputs outside [0.05, 0.95], vs sigmoid Glorot, "
               "delta 0.1)",
        direction="less", arms=("sigmoid N(0,1)", "relu / leaky_relu / elu with He init"), delta=0.5,
    ),
    Claim(
        id="selu-self-normalizes", section=SECTION, source=SELU,
        sentence="A deep dense SELU net with LeCun normal weights and standardized inputs keeps every layer's "
                 "activation mean near 0 and standard deviation near 1; with non-standardized inputs or He init "
                 "the statistics drift.",
        kind="exact",
        metric="per hidden layer, mean and std of the outputs over all training examples and units, at init, "
               "width 100, depth 50 quick / 100 full; band |mean| < 0.2 and 0.7 < std < 1.3: Theorem 1's attracting "
               "domain (|mu| <= 0.1, 0.8 <= var <= 1.5, i.e. 0.89 <= std <= 1.22) widened for width-100 sampling; "
               "drift sub-decisions compare the worst layer's max(|mean|, |std - 1|) (directional, less, delta 0.1)",
        direction="holds", arms=("lecun standardized", "lecun raw inputs", "he standardized"), delta=0.1,
    ),
)
