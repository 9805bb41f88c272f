using System.Collections.Concurrent;
using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;
using System.Text;

namespace IncusBackup.Tests.Infrastructure;

/// <summary>
/// Host UI that records everything written to it and answers prompts from scripted answers.
/// All recordings are safe to read from the test thread while a pipeline is writing.
/// </summary>
public sealed class TestHostUI : PSHostUserInterface
{
    /// <summary>Prefix PowerShell puts on the line ShouldProcess writes under -WhatIf (en-US host culture).</summary>
    public const string WhatIfPrefix = "What if: ";

    private readonly ConcurrentQueue<ScriptedChoice> _choices = new();
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly StringBuilder _partialLine = new();
    private readonly Lock _writeGate = new();
    private volatile bool _nonInteractive;

    public TestHostUI()
    {
        RawUI = new TestHostRawUI(this);
    }

    public override PSHostRawUserInterface RawUI { get; }

    /// <summary>When true, every read or prompt throws exactly what pwsh -NonInteractive throws (see <see cref="NonInteractiveMode"/>).</summary>
    public bool NonInteractive
    {
        get => _nonInteractive;
        set => _nonInteractive = value;
    }

    /// <summary>Complete lines written with Write/WriteLine (what-if lines included, with their prefix).</summary>
    public RecordedList<string> Lines { get; } = new();

    /// <summary>The text after "What if: " of each what-if line ShouldProcess wrote.</summary>
    public RecordedList<string> WhatIfLines { get; } = new();

    public RecordedList<string> VerboseLines { get; } = new();

    public RecordedList<string> WarningLines { get; } = new();

    public RecordedList<string> ErrorLines { get; } = new();

    public RecordedList<string> DebugLines { get; } = new();

    public RecordedList<InformationRecord> InformationRecords { get; } = new();

    /// <summary>Copies of the progress records (a cmdlet may reuse and mutate one record object).</summary>
    public RecordedList<ProgressRecord> ProgressRecords { get; } = new();

    /// <summary>Every prompt, answered or not, in order.</summary>
    public RecordedList<HostPrompt> Prompts { get; } = new();

    public int PendingChoices => _choices.Count;

    public int PendingLines => _lines.Count;

    /// <summary>Queues the index of the choice to pick at the next PromptForChoice (see <see cref="ConfirmChoice"/>).</summary>
    public void EnqueueChoice(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        _choices.Enqueue(new ScriptedChoice(index, null));
    }

    /// <summary>Queues a choice by label ("Yes", "No to All", "YesToAll"; '&amp;' and blanks ignored, case-insensitive).</summary>
    public void EnqueueChoice(string label)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(label);
        _choices.Enqueue(new ScriptedChoice(null, label));
    }

    /// <summary>Queues a line for ReadLine (Read-Host) and for each field of Prompt (missing mandatory parameters).</summary>
    public void EnqueueLine(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        _lines.Enqueue(line);
    }

    public void ClearScriptedAnswers()
    {
        _choices.Clear();
        _lines.Clear();
    }

    public HostRecordingMark Mark() => new(
        Lines.Count, WhatIfLines.Count, VerboseLines.Count, WarningLines.Count, ErrorLines.Count, DebugLines.Count,
        InformationRecords.Count, ProgressRecords.Count, Prompts.Count);

    public HostCapture CaptureSince(HostRecordingMark mark) => new(
        Lines.Since(mark.Lines),
        WhatIfLines.Since(mark.WhatIfLines),
        VerboseLines.Since(mark.VerboseLines),
        WarningLines.Since(mark.WarningLines),
        ErrorLines.Since(mark.ErrorLines),
        DebugLines.Since(mark.DebugLines),
        InformationRecords.Since(mark.InformationRecords),
        ProgressRecords.Since(mark.ProgressRecords),
        Prompts.Since(mark.Prompts));

    // ---- output -------------------------------------------------------------------------------------------

    public override void Write(string value)
    {
        // Write may carry part of a line, or several; record whole lines only.
        lock (_writeGate)
        {
            _partialLine.Append(value);
            string text = _partialLine.ToString();
            int lineEnd;
            int start = 0;
            while ((lineEnd = text.IndexOf('\n', start)) >= 0)
            {
                RecordLine(text[start..lineEnd].TrimEnd('\r'));
                start = lineEnd + 1;
            }

            _partialLine.Clear().Append(text, start, text.Length - start);
        }
    }

    public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) => Write(value);

    public override void WriteLine(string value) => Write(value + "\n");

    public override void WriteLine(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) => WriteLine(value);

    public override void WriteLine() => WriteLine(string.Empty);

    public override void WriteErrorLine(string value) => ErrorLines.Add(value);

    public override void WriteDebugLine(string message) => DebugLines.Add(message);

    public override void WriteVerboseLine(string message) => VerboseLines.Add(message);

    public override void WriteWarningLine(string message) => WarningLines.Add(message);

    public override void WriteInformation(InformationRecord record) => InformationRecords.Add(record);

    public override void WriteProgress(long sourceId, ProgressRecord record) => ProgressRecords.Add(Copy(record));

    private void RecordLine(string line)
    {
        Lines.Add(line);
        if (line.StartsWith(WhatIfPrefix, StringComparison.Ordinal))
        {
            WhatIfLines.Add(line[WhatIfPrefix.Length..]);
        }
    }

    private static ProgressRecord Copy(ProgressRecord record) =>
        new(record.ActivityId, record.Activity, record.StatusDescription)
        {
            ParentActivityId = record.ParentActivityId,
            CurrentOperation = record.CurrentOperation,
            PercentComplete = record.PercentComplete,
            SecondsRemaining = record.SecondsRemaining,
            RecordType = record.RecordType,
        };

    // ---- input --------------------------------------------------------------------------------------------

    public override int PromptForChoice(string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice)
    {
        var labels = choices.Select(c => c.Label.Replace("&", string.Empty, StringComparison.Ordinal)).ToList();
        var prompt = new HostPrompt(HostPromptKind.Choice, caption ?? string.Empty, message ?? string.Empty, labels, defaultChoice);
        ThrowIfNonInteractive(prompt);
        if (!_choices.TryDequeue(out ScriptedChoice? scripted))
        {
            throw RecordUnscripted(prompt);
        }

        int index;
        try
        {
            index = scripted.Resolve(labels, prompt);
        }
        catch (ArgumentException)
        {
            // A wrong script is a test bug: record it like an unanswered prompt so the session fails the test.
            Prompts.Add(prompt with { Outcome = HostPromptOutcome.Unscripted });
            throw;
        }

        Prompts.Add(prompt with { Outcome = HostPromptOutcome.Answered, AnswerIndex = index, Answer = labels[index] });
        return index;
    }

    public override Dictionary<string, PSObject> Prompt(string caption, string message, Collection<FieldDescription> descriptions)
    {
        var names = descriptions.Select(d => d.Name).ToList();
        var prompt = new HostPrompt(HostPromptKind.Fields, caption ?? string.Empty, message ?? string.Empty, names, -1);
        ThrowIfNonInteractive(prompt);
        if (_lines.Count < names.Count)
        {
            throw RecordUnscripted(prompt);
        }

        var answers = new Dictionary<string, PSObject>();
        foreach (string name in names)
        {
            _lines.TryDequeue(out string? line);
            answers[name] = PSObject.AsPSObject(line!);
        }

        Prompts.Add(prompt with
        {
            Outcome = HostPromptOutcome.Answered,
            Answer = string.Join(Environment.NewLine, answers.Values.Select(v => v.BaseObject)),
        });
        return answers;
    }

    public override string ReadLine() => ReadScriptedLine(HostPromptKind.ReadLine);

    public override SecureString ReadLineAsSecureString()
    {
        string line = ReadScriptedLine(HostPromptKind.SecureReadLine);
        var secure = new SecureString();
        foreach (char c in line)
        {
            secure.AppendChar(c);
        }

        secure.MakeReadOnly();
        return secure;
    }

    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) =>
        PromptForCredential(caption, message, userName, targetName, PSCredentialTypes.Default, PSCredentialUIOptions.Default);

    public override PSCredential PromptForCredential(
        string caption,
        string message,
        string userName,
        string targetName,
        PSCredentialTypes allowedCredentialTypes,
        PSCredentialUIOptions options)
    {
        // Credentials are not scriptable here: nothing in the module should ask for them interactively.
        var prompt = new HostPrompt(HostPromptKind.Credential, caption ?? string.Empty, message ?? string.Empty, [], -1);
        ThrowIfNonInteractive(prompt);
        throw RecordUnscripted(prompt);
    }

    private string ReadScriptedLine(HostPromptKind kind)
    {
        var prompt = new HostPrompt(kind, string.Empty, string.Empty, [], -1);
        ThrowIfNonInteractive(prompt);
        if (!_lines.TryDequeue(out string? line))
        {
            throw RecordUnscripted(prompt);
        }

        Prompts.Add(prompt with { Outcome = HostPromptOutcome.Answered, Answer = kind == HostPromptKind.SecureReadLine ? "***" : line });
        return line;
    }

    private void ThrowIfNonInteractive(HostPrompt prompt)
    {
        if (NonInteractive)
        {
            Prompts.Add(prompt with { Outcome = HostPromptOutcome.RefusedNonInteractive });
            throw NonInteractiveMode.CreateException();
        }
    }

    /// <summary>Records a prompt nobody scripted an answer for and returns the exception to throw.</summary>
    internal UnscriptedPromptException RecordUnscripted(HostPrompt prompt)
    {
        HostPrompt recorded = prompt with { Outcome = HostPromptOutcome.Unscripted };
        Prompts.Add(recorded);
        return new UnscriptedPromptException(recorded);
    }
}
