using System.Globalization;
using IncusBackup.Errors;

namespace IncusBackup.Retention;

/// <summary>
/// Which backups of one resource to keep, as restic's forget counts them: the last N, the newest of each of the last
/// N hours, days, ISO weeks, months and years that have a backup, and everything within a span of the newest.
/// </summary>
public sealed record RetentionPolicy
{
    public int Last { get; init; }
    public int Hourly { get; init; }
    public int Daily { get; init; }
    public int Weekly { get; init; }
    public int Monthly { get; init; }
    public int Yearly { get; init; }
    public RetentionDuration? Within { get; init; }

    public bool IsEmpty => Last == 0 && Hourly == 0 && Daily == 0 && Weekly == 0 && Monthly == 0 && Yearly == 0 && (Within?.IsZero ?? true);

    /// <summary>
    /// The spec's policy string: "daily=7,weekly=4,monthly=12" (also last, hourly, yearly, and within=14d); a bare
    /// number is the spec's --keep N, the last N.
    /// </summary>
    public static RetentionPolicy Parse(string text)
    {
        var policy = new RetentionPolicy();
        if (int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var keep)) return policy with { Last = Positive(keep, "last", text) };
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var pair = part.Split('=', 2, StringSplitOptions.TrimEntries);
            if (pair.Length != 2) throw Invalid(text, $"'{part}' is not of the form rule=count");
            int Count() => int.TryParse(pair[1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? Positive(n, pair[0], text)
                : throw Invalid(text, $"'{pair[1]}' is not a count");
            policy = pair[0].ToLowerInvariant() switch
            {
                "last" or "keep" => policy with { Last = Count() },
                "hourly" => policy with { Hourly = Count() },
                "daily" => policy with { Daily = Count() },
                "weekly" => policy with { Weekly = Count() },
                "monthly" => policy with { Monthly = Count() },
                "yearly" => policy with { Yearly = Count() },
                "within" => policy with { Within = RetentionDuration.Parse(pair[1]) },
                _ => throw Invalid(text, $"'{pair[0]}' is not a rule (last, hourly, daily, weekly, monthly, yearly, within)"),
            };
        }
        if (policy.IsEmpty) throw Invalid(text, "it keeps nothing");
        return policy;
    }

    public override string ToString()
    {
        var parts = new List<string>();
        foreach (var (count, name) in new[] { (Last, "last"), (Hourly, "hourly"), (Daily, "daily"), (Weekly, "weekly"), (Monthly, "monthly"), (Yearly, "yearly") })
            if (count > 0) parts.Add($"{name}={count}");
        if (Within is { IsZero: false }) parts.Add($"within={Within}");
        return string.Join(",", parts);
    }

    private static int Positive(int n, string rule, string text) => n > 0 ? n : throw Invalid(text, $"{rule} must be 1 or more");

    private static IncusBackupException Invalid(string text, string why) =>
        new(ErrorIds.RetentionPolicyInvalid, ErrorKind.InvalidArgument, $"The retention policy '{text}' is not valid: {why}.", text,
            "Write it as in 'daily=7,weekly=4,monthly=12' (rules: last, hourly, daily, weekly, monthly, yearly, within=14d).");
}
