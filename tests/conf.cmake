# conf - unit tests of the lossless main.cf/master.cf model (lib/config/conf,
# conf_test built there): round trip of every testdata/corpus file,
# readllines() grouping checked against a transcription of Postfix's,
# name/value and master.cf fields with positions, and the Postfix text
# primitives.
postern_test(NAME conf_unit LABELS unit conf COMMAND conf_test)
