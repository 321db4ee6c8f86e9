{#
  Early decompression surgery cohort (000_dc58a6666935e68a.txt, "Outcome"): LDH/LSS patients
  (ph_ldh_lss) not operated on or before index, with a known outcome; label 1 = first decompression on days 1..surgery_early_window_days (60) after index ("within 2 months"),
  label 0 = no decompression within 14 months (days 1..425). Patients whose first decompression is in the
  late window are not in this cohort, so no patient is positive in both tasks.
  split: deterministic, stratified by label (macro split_column).
#}
{{ surgery_cohort('early') }}
