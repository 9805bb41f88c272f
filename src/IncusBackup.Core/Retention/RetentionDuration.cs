using System.Globalization;
using System.Text.RegularExpressions;
using IncusBackup.Errors;

namespace IncusBackup.Retention;

/// <summary>
/// A span of calendar time as restic's --keep-within writes it: years, months, days and hours, such as "1y6m",
/// "14d" or "2d12h". Counted back from the newest backup on the calendar (a month is a calendar month).
/// </summary>
public sealed partial record RetentionDuration(int Years, int Months, int Days, int Hours)
{
    public bool IsZero => Years == 0 && Months == 0 && Days == 0 && Hours == 0;

    /// <summary>The moment this long before <paramref name="latest"/>.</summary>
    public DateTime Before(DateTime latest) => latest.AddYears(-Years).AddMonths(-Months).AddDays(-Days).AddHours(-Hours);

    public static RetentionDuration Parse(string text)
    {
        var match = Pattern().Match(text.Trim());
        if (!match.Success || text.Trim().Length == 0)
        {
            throw new IncusBackupException(ErrorIds.RetentionPolicyInvalid, ErrorKind.InvalidArgument,
                $"'{text}' is not a duration: write years, months, days and hours as in 1y6m, 14d or 2d12h.", text);
        }
        int Part(string name) => match.Groups[name].Success ? int.Parse(match.Groups[name].Value, CultureInfo.InvariantCulture) : 0;
        return new RetentionDuration(Part("y"), Part("m"), Part("d"), Part("h"));
    }

    public override string ToString()
    {
        var text = string.Concat(
            Years > 0 ? $"{Years}y" : "", Months > 0 ? $"{Months}m" : "", Days > 0 ? $"{Days}d" : "", Hours > 0 ? $"{Hours}h" : "");
        return text.Length == 0 ? "0h" : text;
    }

    [GeneratedRegex(@"^(?:(?<y>\d{1,4})y)?(?:(?<m>\d{1,5})m)?(?:(?<d>\d{1,6})d)?(?:(?<h>\d{1,7})h)?$")]
    private static partial Regex Pattern();
}
