using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Text;

namespace IncusBackup.Tests.Infrastructure;

/// <summary>Everything one <see cref="PowerShellSession"/> invocation produced.</summary>
public sealed record PowerShellResult
{
    public required Collection<PSObject> Output { get; init; }

    /// <summary>Error stream records, then the terminating error (if any) as the last entry.</summary>
    public required IReadOnlyList<ErrorRecord> Errors { get; init; }

    /// <summary>Warning stream messages.</summary>
    public required IReadOnlyList<string> Warnings { get; init; }

    /// <summary>Verbose stream messages (only written under -Verbose / $VerbosePreference).</summary>
    public required IReadOnlyList<string> Verbose { get; init; }

    /// <summary>Debug stream messages (only written under -Debug / $DebugPreference).</summary>
    public required IReadOnlyList<string> Debug { get; init; }

    public required IReadOnlyList<InformationRecord> Information { get; init; }

    /// <summary>Progress records shown on the host (copies, in order).</summary>
    public required IReadOnlyList<ProgressRecord> Progress { get; init; }

    /// <summary>Text after "What if: " of every line ShouldProcess wrote under -WhatIf.</summary>
    public required IReadOnlyList<string> WhatIfLines { get; init; }

    /// <summary>Prompts raised during this invocation, answered or not.</summary>
    public required IReadOnlyList<HostPrompt> Prompts { get; init; }

    /// <summary>Complete lines written to the host (Write-Host, $Host.UI.WriteLine, what-if lines).</summary>
    public required IReadOnlyList<string> HostLines { get; init; }

    /// <summary>The error that ended the invocation (throw, -ErrorAction Stop, ThrowTerminatingError of a top-level command).</summary>
    public ErrorRecord? TerminatingError { get; init; }

    public bool HadTerminatingError => TerminatingError is not null;

    /// <summary>A stop was requested (<see cref="PowerShellSession.StopWhen(string, Func{bool}, TimeSpan, System.Collections.IDictionary?)"/>).</summary>
    public bool StopRequested { get; init; }

    /// <summary>The invocation ended in a PipelineStoppedException (it honoured the stop).</summary>
    public bool WasStopped { get; init; }

    /// <summary>Time from the stop request until the invocation had ended.</summary>
    public TimeSpan? StopDuration { get; init; }

    /// <summary>Throws (failing the test) when there is any error; lists every error with its id and position.</summary>
    public PowerShellResult AssertNoErrors()
    {
        if (Errors.Count > 0)
        {
            throw new InvalidOperationException($"Expected no errors, got {Errors.Count}:{Environment.NewLine}{DescribeErrors()}");
        }

        return this;
    }

    public string DescribeErrors()
    {
        var text = new StringBuilder();
        foreach (ErrorRecord error in Errors)
        {
            text.AppendLine($"- {error} [{error.FullyQualifiedErrorId}] ({error.Exception.GetType().FullName})");
            if (error.InvocationInfo?.PositionMessage is { Length: > 0 } position)
            {
                text.AppendLine($"  {position.Replace("\n", "\n  ", StringComparison.Ordinal)}");
            }
        }

        return text.ToString();
    }
}
