using FsCheck;
using FsCheck.Fluent;
using IncusBackup.Errors;
using IncusBackup.Retention;
using Xunit;

namespace IncusBackup.Tests.Core.Retention;

/// <summary>
/// The retention rules as restic's forget applies them, per resource: hand-checked cases (the spec's
/// daily=7,weekly=4,monthly=12 over a year of daily backups among them), local-time buckets, and a property test
/// against a small reference implementation written differently (groups of buckets instead of a running counter).
/// </summary>
public sealed class RetentionPlannerTests
{
    private static readonly DateTimeOffset Now = new(2027, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static BackupRecord R(DateTimeOffset at, string name = "web", BackupKind kind = BackupKind.Instance) => new()
    {
        Kind = kind, Project = "default", Name = name, Version = at.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture),
        Timestamp = at, Compression = "zstd", Sha256 = "", ArchiveName = "", Location = $"/r/{name}/{at.UtcTicks}", Repository = "dir:/r",
    };

    private static DateTimeOffset Utc(int month, int day, int hour = 2, int minute = 0) => new(2026, month, day, hour, minute, 0, TimeSpan.Zero);

    private static IReadOnlyList<RetentionDecision> Apply(IEnumerable<BackupRecord> backups, RetentionPolicy policy, TimeZoneInfo? zone = null) =>
        RetentionPlanner.Apply(backups, policy, zone ?? TimeZoneInfo.Utc, Now);

    private static string[] Kept(IReadOnlyList<RetentionDecision> decisions) =>
        [.. decisions.Where(d => d.Keep).Select(d => d.Backup.Timestamp.UtcDateTime.ToString("MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture))];

    [Fact]
    public void TheSpecsPolicy_OverAYearOfDailyBackups_KeepsSevenDaysFourWeeksAndTwelveMonths()
    {
        var year = Enumerable.Range(0, 365).Select(d => R(Utc(1, 1).AddDays(d))).ToList();

        var decisions = Apply(year, RetentionPolicy.Parse("daily=7,weekly=4,monthly=12"));

        // 2026-12-31 is a Thursday in ISO week 53: the weeks before end on Sundays 27, 20 and 13 December.
        Assert.Equal(
            ["12-31 02:00", "12-30 02:00", "12-29 02:00", "12-28 02:00", "12-27 02:00", "12-26 02:00", "12-25 02:00", "12-20 02:00", "12-13 02:00",
             "11-30 02:00", "10-31 02:00", "09-30 02:00", "08-31 02:00", "07-31 02:00", "06-30 02:00", "05-31 02:00", "04-30 02:00",
             "03-31 02:00", "02-28 02:00", "01-31 02:00"],
            Kept(decisions));
        Assert.Equal(345, decisions.Count(d => !d.Keep));
        Assert.Equal(["daily", "weekly", "monthly"], decisions[0].Reasons);
        Assert.Equal(["weekly"], decisions.Single(d => d.Backup.Timestamp == Utc(12, 20)).Reasons);
        Assert.Equal(["monthly"], decisions.Single(d => d.Backup.Timestamp == Utc(11, 30)).Reasons);
    }

    [Fact]
    public void KeepLast_KeepsTheNewestN()
    {
        var backups = Enumerable.Range(1, 5).Select(d => R(Utc(3, d))).ToList();

        Assert.Equal(["03-05 02:00", "03-04 02:00", "03-03 02:00"], Kept(Apply(backups, new RetentionPolicy { Last = 3 })));
    }

    [Fact]
    public void KeepDaily_KeepsTheNewestOfEachDay()
    {
        var backups = new[] { Utc(3, 1, 1), Utc(3, 1, 9), Utc(3, 1, 17), Utc(3, 2, 1), Utc(3, 2, 9), Utc(3, 3, 5) }.Select(t => R(t)).ToList();

        Assert.Equal(["03-03 05:00", "03-02 09:00"], Kept(Apply(backups, new RetentionPolicy { Daily = 2 })));
    }

    [Fact]
    public void ARuleWithCountsLeftOver_AlsoKeepsTheOldestBackup_AsResticDoes()
    {
        var backups = new[] { Utc(3, 1, 1), Utc(3, 1, 9), Utc(3, 2, 1), Utc(3, 2, 9) }.Select(t => R(t)).ToList();

        Assert.Equal(["03-02 09:00", "03-01 09:00", "03-01 01:00"], Kept(Apply(backups, new RetentionPolicy { Daily = 5 })));
    }

    [Fact]
    public void KeepWithin_KeepsWhatIsNewerThanTheNewestMinusTheSpan_OnTheCalendar()
    {
        var backups = new[] { Utc(2, 27), Utc(2, 28, 3), Utc(3, 1), Utc(3, 28, 1), Utc(3, 28, 3) }.Select(t => R(t)).ToList();

        // One calendar month before 28 March 03:00 is 28 February 03:00: strictly after it.
        Assert.Equal(["03-28 03:00", "03-28 01:00", "03-01 02:00"], Kept(Apply(backups, new RetentionPolicy { Within = RetentionDuration.Parse("1m") })));
    }

    [Fact]
    public void DaysAreCountedInLocalTime()
    {
        var backups = new[] { Utc(3, 1, 20), Utc(3, 1, 21, 30), Utc(3, 1, 22, 30), Utc(3, 1, 23, 30) }.Select(t => R(t)).ToList();
        var plusTwo = TimeZoneInfo.CreateCustomTimeZone("UTC+2", TimeSpan.FromHours(2), "UTC+2", "UTC+2");

        // In UTC+2 the last two are on 2 March: the newest of 1 March (21:30Z) is kept. In UTC one day: the oldest is kept instead.
        Assert.Equal(["03-01 23:30", "03-01 21:30"], Kept(Apply(backups, new RetentionPolicy { Daily = 2 }, plusTwo)));
        Assert.Equal(["03-01 23:30", "03-01 20:00"], Kept(Apply(backups, new RetentionPolicy { Daily = 2 })));
    }

    [Fact]
    public void EachResourceIsCountedOnItsOwn()
    {
        var backups = new[] { R(Utc(3, 1), "web"), R(Utc(3, 2), "web"), R(Utc(3, 1), "db"), R(Utc(3, 1), "data", BackupKind.Volume), R(Utc(3, 3), "data", BackupKind.Volume) };

        var decisions = Apply(backups, new RetentionPolicy { Last = 1 });

        Assert.Equal(["web@20260302T020000Z", "db@20260301T020000Z", "data@20260303T020000Z"],
            decisions.Where(d => d.Keep).Select(d => $"{d.Backup.Name}@{d.Backup.Version}"));
    }

    [Fact]
    public void TheNewestIsKept_EvenWhenItIsOutsideEveryRule()
    {
        // A backup from the future (a clock set wrong) is not "the newest" for within; it is still never removed.
        var backups = new[] { R(Now.AddDays(3)), R(Utc(12, 30)), R(Utc(1, 1)) };

        var decisions = Apply(backups, new RetentionPolicy { Within = RetentionDuration.Parse("2d") });

        Assert.True(decisions[0].Keep);
        Assert.Equal(["within 2d"], decisions[0].Reasons);
        Assert.True(decisions[1].Keep);
        Assert.False(decisions[2].Keep);
    }

    [Fact]
    public void AProtectedBackup_IsKept_AndNotCountedByTheRules()
    {
        var oldest = R(Utc(3, 1));
        var backups = new[]
        {
            new BackupRecord
            {
                Kind = oldest.Kind, Project = oldest.Project, Name = oldest.Name, Version = oldest.Version, Timestamp = oldest.Timestamp, Compression = "zstd",
                Sha256 = "", ArchiveName = "", Location = oldest.Location, Repository = oldest.Repository, Protected = true,
            },
            R(Utc(3, 2)), R(Utc(3, 3)), R(Utc(3, 4)),
        };

        var decisions = Apply(backups, new RetentionPolicy { Last = 2 });

        Assert.Equal(["03-04 02:00", "03-03 02:00", "03-01 02:00"], Kept(decisions));
        Assert.Equal(["protected"], decisions[^1].Reasons);
    }

    [Theory]
    [InlineData("daily=7,weekly=4,monthly=12", "daily=7,weekly=4,monthly=12")]
    [InlineData("5", "last=5")]
    [InlineData(" last=2 , yearly=3, within=1y6m ", "last=2,yearly=3,within=1y6m")]
    [InlineData("HOURLY=24", "hourly=24")]
    public void Parse_ReadsTheSpecsPolicyString(string text, string expected) => Assert.Equal(expected, RetentionPolicy.Parse(text).ToString());

    [Theory]
    [InlineData("daily")]
    [InlineData("daily=0")]
    [InlineData("daily=x")]
    [InlineData("fortnightly=2")]
    [InlineData("within=3w")]
    [InlineData("")]
    public void Parse_RefusesWhatItCannotRead_WithRetentionPolicyInvalid(string text)
    {
        var e = Assert.Throws<IncusBackupException>(() => RetentionPolicy.Parse(text));
        Assert.Equal(ErrorIds.RetentionPolicyInvalid, e.ErrorId);
    }

    /// <summary>The reference: per rule, the newest of each of the first N bucket groups, and the oldest when there are fewer groups than N.</summary>
    private static HashSet<DateTimeOffset> Reference(IReadOnlyList<DateTimeOffset> times, RetentionPolicy p)
    {
        var newestFirst = times.OrderByDescending(t => t).ToList();
        var kept = new HashSet<DateTimeOffset> { newestFirst[0] };
        void Rule(int n, Func<DateTimeOffset, int, string> bucket)
        {
            if (n == 0) return;
            var groups = newestFirst.Select((t, i) => (t, key: bucket(t, i))).GroupBy(x => x.key).ToList();
            foreach (var g in groups.Take(n)) kept.Add(g.First().t);
            if (groups.Count < n) kept.Add(newestFirst[^1]);
        }
        Rule(p.Last, (_, i) => i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Rule(p.Hourly, (t, _) => t.ToString("yyyyMMddHH", System.Globalization.CultureInfo.InvariantCulture));
        Rule(p.Daily, (t, _) => t.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture));
        Rule(p.Weekly, (t, _) => $"{System.Globalization.ISOWeek.GetYear(t.UtcDateTime)}-{System.Globalization.ISOWeek.GetWeekOfYear(t.UtcDateTime)}");
        Rule(p.Monthly, (t, _) => t.ToString("yyyyMM", System.Globalization.CultureInfo.InvariantCulture));
        Rule(p.Yearly, (t, _) => t.ToString("yyyy", System.Globalization.CultureInfo.InvariantCulture));
        if (p.Within is { } within)
        {
            var since = within.Before(newestFirst[0].UtcDateTime);
            kept.UnionWith(newestFirst.Where(t => t.UtcDateTime > since));
        }
        return kept;
    }

    [Fact]
    public void MatchesTheReferenceImplementation_OverRandomBackupDatesAndPolicies()
    {
        var start = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
        // Distinct times, hours apart over three years (several per day, gaps of weeks): all in the past of Now.
        var times = Gen.Choose(0, 3 * 365 * 24).Select(h => start.AddHours(h)).ListOf().Where(l => l.Count > 0).Select(l => l.Distinct().ToList());
        var count = Gen.Frequency((3, Gen.Constant(0)), (2, Gen.Choose(1, 6)));
        var within = Gen.Frequency((3, Gen.Constant<RetentionDuration?>(null)), (1, Gen.Choose(0, 40).Select(d => (RetentionDuration?)new RetentionDuration(0, d % 3, d, 0))));
        var policies =
            from last in count
            from hourly in count
            from daily in count
            from weekly in count
            from monthly in count
            from yearly in count
            from span in within
            let policy = new RetentionPolicy { Last = last, Hourly = hourly, Daily = daily, Weekly = weekly, Monthly = monthly, Yearly = yearly, Within = span }
            where !policy.IsEmpty
            select policy;
        var inputs = from list in times from policy in policies select (list, policy);

        Prop.ForAll(Arb.From(inputs), input =>
        {
            var (list, policy) = input;
            var decisions = Apply(list.Select(t => R(t)), policy);
            var kept = decisions.Where(d => d.Keep).Select(d => d.Backup.Timestamp).ToHashSet();
            return kept.SetEquals(Reference(list, policy)) && decisions.Count == list.Count;
        }).QuickCheckThrowOnFailure();
    }
}
