{#
  Late decompression surgery cohort (000_dc58a6666935e68a.txt, "Outcome"): LDH/LSS patients
  (ph_ldh_lss) not operated on or before index, with a known outcome; label 1 = first decompression on days surgery_late_gap_days + 1 .. + surgery_late_window_days (61..425) after index ("within 12 months after a 2 month gap"),
  label 0 = no decompression within 14 months (days 1..425). Patients whose first decompression is in the
  early window are not in this cohort, so no patient is positive in both tasks.
  split: deterministic, stratified by label (macro split_column).
#}
{{ surgery_cohort('late') }}
