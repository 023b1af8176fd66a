Attribute VB_Name = "arbook"
' arbook ribbon callbacks and worksheet functions. Generated from arbook/excel/ribbon.py
' and arbook/excel/udfs.py: edit those and run 'arbook addin build'.
Option Explicit

Private Function ArbGerman() As Boolean
    On Error Resume Next
    Select Case Application.LanguageSettings.LanguageID(2)
        Case 1031, 2055, 3079, 4103, 5127: ArbGerman = True
    End Select
End Function

Public Sub ArbGetLabel(control As IRibbonControl, ByRef label)
    Dim de As Boolean
    de = ArbGerman()
    Select Case control.Id
        Case "arbLedger": label = IIf(de, "Offene Posten", "Ledger")
        Case "arbReminders": label = IIf(de, "Mahnungen", "Reminders")
        Case "arbReview": label = IIf(de, "Review", "Review")
        Case "arbHelp": label = IIf(de, "Hilfe", "Help")
        Case "arbRefresh": label = IIf(de, "Aktualisieren", "Refresh")
        Case "arbImportInvoices": label = IIf(de, "Rechnungen importieren", "Import invoices")
        Case "arbImportBank": label = IIf(de, "Kontoauszug einlesen", "Import bank statement")
        Case "arbRemindPreview": label = IIf(de, "Vorschau", "Preview")
        Case "arbRemindDraft": label = IIf(de, "Entw" & ChrW(252) & "rfe", "Draft")
        Case "arbRemindSend": label = IIf(de, "Senden", "Send")
        Case "arbReviewSummary": label = IIf(de, "Kennzahlen", "Review summary")
        Case "arbChecklist": label = IIf(de, "Checkliste pr" & ChrW(252) & "fen", "Check checklist")
        Case "arbJourney": label = IIf(de, "Customer Journey", "Customer journey")
        Case "arbDocs": label = IIf(de, "Dokumentation", "Documentation")
        Case "arbDoctor": label = IIf(de, "Diagnose", "Diagnostics")
        Case "arbAbout": label = IIf(de, ChrW(220) & "ber arbook", "About arbook")
    End Select
End Sub

Public Sub ArbRefresh(control As IRibbonControl)
    RunPython "import arbook.excel.entry as e; e.refresh()"
End Sub

Public Sub ArbImportInvoices(control As IRibbonControl)
    RunPython "import arbook.excel.entry as e; e.import_invoices()"
End Sub

Public Sub ArbImportBank(control As IRibbonControl)
    RunPython "import arbook.excel.entry as e; e.import_bank()"
End Sub

Public Sub ArbRemindPreview(control As IRibbonControl)
    RunPython "import arbook.excel.entry as e; e.remind_preview()"
End Sub

Public Sub ArbRemindDraft(control As IRibbonControl)
    RunPython "import arbook.excel.entry as e; e.remind_draft()"
End Sub

Public Sub ArbRemindSend(control As IRibbonControl)
    RunPython "import arbook.excel.entry as e; e.remind_send()"
End Sub

Public Sub ArbReviewSummary(control As IRibbonControl)
    RunPython "import arbook.excel.entry as e; e.review_summary()"
End Sub

Public Sub ArbCheckChecklist(control As IRibbonControl)
    RunPython "import arbook.excel.entry as e; e.check_checklist()"
End Sub

Public Sub ArbCustomerJourney(control As IRibbonControl)
    RunPython "import arbook.excel.entry as e; e.customer_journey()"
End Sub

Public Sub ArbDocumentation(control As IRibbonControl)
    RunPython "import arbook.excel.entry as e; e.documentation()"
End Sub

Public Sub ArbDiagnostics(control As IRibbonControl)
    RunPython "import arbook.excel.entry as e; e.diagnostics()"
End Sub

Public Sub ArbAbout(control As IRibbonControl)
    RunPython "import arbook.excel.entry as e; e.about()"
End Sub

Function ARB_DAYSOVERDUE(due, Optional as_of)
    If TypeOf Application.Caller Is Range Then On Error GoTo failed
    ARB_DAYSOVERDUE = XLPy.CallUDF("arbook.excel.udfs", "ARB_DAYSOVERDUE", Array(due, as_of), ActiveWorkbook, Application.Caller)
    Exit Function
failed:
    ARB_DAYSOVERDUE = Err.Description
End Function

Function ARB_BUCKET(days, Optional lang, Optional edges)
    If TypeOf Application.Caller Is Range Then On Error GoTo failed
    ARB_BUCKET = XLPy.CallUDF("arbook.excel.udfs", "ARB_BUCKET", Array(days, lang, edges), ActiveWorkbook, Application.Caller)
    Exit Function
failed:
    ARB_BUCKET = Err.Description
End Function

Function ARB_STAGE(days, Optional lang)
    If TypeOf Application.Caller Is Range Then On Error GoTo failed
    ARB_STAGE = XLPy.CallUDF("arbook.excel.udfs", "ARB_STAGE", Array(days, lang), ActiveWorkbook, Application.Caller)
    Exit Function
failed:
    ARB_STAGE = Err.Description
End Function

Function ARB_INTEREST(amount, start, end, Optional business)
    If TypeOf Application.Caller Is Range Then On Error GoTo failed
    ARB_INTEREST = XLPy.CallUDF("arbook.excel.udfs", "ARB_INTEREST", Array(amount, start, end, business), ActiveWorkbook, Application.Caller)
    Exit Function
failed:
    ARB_INTEREST = Err.Description
End Function
