namespace IncusBackup.Tests.Infrastructure;

/// <summary>A queued answer to a choice prompt: an index, or a label resolved when the prompt arrives.</summary>
internal sealed record ScriptedChoice(int? Index, string? Label)
{
    public int Resolve(IReadOnlyList<string> choiceLabels, HostPrompt prompt)
    {
        if (Index is int index)
        {
            return index >= 0 && index < choiceLabels.Count
                ? index
                : throw new ArgumentOutOfRangeException(
                    nameof(Index), index, $"Scripted choice {index} is out of range for {prompt}.");
        }

        string wanted = Normalize(Label!);
        for (int i = 0; i < choiceLabels.Count; i++)
        {
            if (Normalize(choiceLabels[i]) == wanted)
            {
                return i;
            }
        }

        throw new ArgumentException($"Scripted choice '{Label}' matches no choice of {prompt}.", nameof(Label));
    }

    /// <summary>Lets "YesToAll", "yes to all" and "Yes to &amp;All" name the same choice.</summary>
    private static string Normalize(string label) =>
        new string(label.Where(c => c != '&' && !char.IsWhiteSpace(c)).ToArray()).ToUpperInvariant();

    public override string ToString() => Index?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? $"'{Label}'";
}
