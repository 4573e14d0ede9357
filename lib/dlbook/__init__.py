"""dlbook: the tested helpers behind the executable deep-learning book.

Each lesson's real logic lives in modules named by concept (``dlbook.perceptron``,
``dlbook.tokenization``, ``dlbook.diffusion``, ``dlbook.diffusion_models``, ...);
notebooks narrate, call, plot and assert. Shared modules: ``checks`` (the input
validators every public function uses), ``ode`` (time grids, Euler/Heun, recorded
paths), ``display`` (HTML views), ``widgets`` (static and live views), ``plotting``
(book style), ``seeding``, ``data``, ``metrics`` and ``source`` (show code in a lesson).
Imports go one way: lesson modules import shared ones, never each other in a cycle
(``tests/test_package.py``).
"""

__version__ = "0.1.0"
