-- The annual report (issue 18; Regulations arts. 49-50, the format of 国办公开办函〔2021〕30号):
-- how each request ended and who asked, as categories of its table 3. Never the applicant's
-- personal data. Codes as src/domain/outcome.rs spells them.

-- How the case ended: a leaf row of 三、本年度办理结果 (disclosed, partly_disclosed,
-- withheld.state_secret, …); NULL until recorded, and always while the case is open.
ALTER TABLE cases ADD COLUMN outcome TEXT;
-- Who asked: natural_person | business | research | public_interest | legal_service |
-- other_organisation (the table's columns); NULL until recorded.
ALTER TABLE cases ADD COLUMN applicant TEXT;

-- The annual report reads a year by date range, not the whole table: the cases received in the
-- year, and those received before it and finished (reply, else closure) in it or later.
CREATE INDEX cases_received ON cases (received_on);
CREATE INDEX cases_finished ON cases (COALESCE(replied_on, closed_on));
