-- referral_down_up_ratio and out_of_region_referral_share on the consortium x month grid; the
-- rules are in macros/kpis/kpi_referrals.sql, shared with int_kpi_referrals_by_institution.
{{ kpi_referrals('consortium') }}
