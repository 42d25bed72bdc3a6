-- referral_down_up_ratio and out_of_region_referral_share by the sending institution; the rules
-- are in macros/kpis/kpi_referrals.sql, shared with int_kpi_referrals_aggregated.
{{ kpi_referrals('institution') }}
