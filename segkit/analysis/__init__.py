"""The torch-free static pass over a resolved Graph: shapes, output stride and receptive
field of every node (:mod:`.infer`), the input sizes a spec accepts (:mod:`.accepted`,
:mod:`.derive`, :mod:`.scan`, stated as a :mod:`.size_rule`) and the per-node report
(:mod:`.report`)."""
