namespace IncusBackup.Tests.Infrastructure;

/// <summary>
/// One request for user input that reached the test host.
/// </summary>
/// <param name="Kind">Which host method was called.</param>
/// <param name="Caption">The prompt's caption (for ShouldProcess: "Confirm"; for ShouldContinue: its caption argument).</param>
/// <param name="Message">The prompt's message (for ShouldProcess: the question plus the operation description).</param>
/// <param name="Choices">Choice labels without the '&amp;' hot-key marker (for <see cref="HostPromptKind.Fields"/>: field names).</param>
/// <param name="DefaultChoice">Index of the default choice, -1 when there is none or not applicable.</param>
public sealed record HostPrompt(
    HostPromptKind Kind,
    string Caption,
    string Message,
    IReadOnlyList<string> Choices,
    int DefaultChoice)
{
    public HostPromptOutcome Outcome { get; init; }

    /// <summary>Chosen index for <see cref="HostPromptKind.Choice"/>; null otherwise or when not answered.</summary>
    public int? AnswerIndex { get; init; }

    /// <summary>Chosen label, or the line(s) given; null when not answered.</summary>
    public string? Answer { get; init; }

    public override string ToString()
    {
        string choices = Choices.Count == 0 ? string.Empty : $" [{string.Join(", ", Choices)}]";
        string answer = Outcome switch
        {
            HostPromptOutcome.Answered => $" -> {Answer}",
            HostPromptOutcome.RefusedNonInteractive => " -> refused (NonInteractive)",
            _ => " -> no scripted answer",
        };
        return $"{Kind} prompt, caption '{Caption}', message '{Message}'{choices}{answer}";
    }
}
