"""Asking memory for a person's values a few people ahead, in the compiled loops.

A tick's loops visit scattered people (the readers of the tick, the
audience of a share): each visit waits for values that are far from the
last ones, in arrays of millions of people, and a loop whose steps branch
on what they read keeps only a few of those fetches under way at once.
``prefetch(array, index)`` tells the processor to start fetching
``array[index]`` now; a loop that asks for the values of the person
:data:`LOOKAHEAD` visits ahead finds them in the cache when it gets there.
(The guard ``if i + LOOKAHEAD < n`` is written in each loop: as a compiled
function of its own it made the session loop half as slow again.)
It changes no value and no result, only when memory is read: a session's
loop at 10^6 people took 0.6x the time with it (LLVM's ``llvm.prefetch``
intrinsic; numba has no prefetch of its own).
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

LOOKAHEAD = 16
"""Visits ahead whose values are asked for (8 to 32 worked about as well at 10^6 people)."""


@intrinsic
def prefetch(typingctx, array, index):
    """Start fetching ``array[index]`` into the cache, to be read soon: an element of a 1-D array,
    the start of a row of a 2-D one. ``index`` (any integer type) must be within the array."""
    if not isinstance(array, types.Array) or array.ndim > 2 or not isinstance(index, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        array_type, index_type = signature.args
        values = context.make_array(array_type)(context, builder, args[0])
        at = context.cast(builder, args[1], index_type, types.intp)        # any integer type, as an address offset
        indices = [at] + [context.get_constant(types.intp, 0)] * (array_type.ndim - 1)
        address = cgutils.get_item_pointer(context, builder, array_type, values, indices, wraparound=False)
        byte = ir.IntType(8).as_pointer()
        word = ir.IntType(32)
        function = builder.module.declare_intrinsic(
            "llvm.prefetch", [byte], ir.FunctionType(ir.VoidType(), [byte, word, word, word]))
        # read (0), keep in every cache level (3), data not instructions (1)
        builder.call(function, [builder.bitcast(address, byte), word(0), word(3), word(1)])
        return context.get_dummy_value()

    return types.void(array, index), codegen
