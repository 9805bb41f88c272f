using System.Globalization;
using IncusBackup.Repository;

namespace IncusBackup.Retention;

/// <summary>
/// Applies a <see cref="RetentionPolicy"/> to the backups of each resource (kind, project, pool, name) with restic's
/// forget semantics (internal/restic/snapshot_policy.go): newest first, each count rule keeps a backup whenever its
/// bucket (hour, day, ISO week, month, year, in local time) differs from the last kept one's, while it has counts
/// left, and also the oldest backup when counts are left over; within keeps everything newer than the newest minus
/// the span. Whatever the policy, the newest backup of a resource and every protected backup are always kept.
/// </summary>
public static class RetentionPlanner
{
    public static IReadOnlyList<RetentionDecision> Apply(IEnumerable<BackupRecord> backups, RetentionPolicy policy, TimeZoneInfo zone, DateTimeOffset now) =>
        // Per resource of each server: two hosts sharing a repository keep their own histories of a same-named instance.
        [.. backups.GroupBy(ResourceIdentity.Of).SelectMany(g => ApplyToResource([.. g], policy, zone, now))];

    /// <summary>The decisions for the backups of one resource, newest first.</summary>
    public static IReadOnlyList<RetentionDecision> ApplyToResource(IReadOnlyList<BackupRecord> backups, RetentionPolicy policy, TimeZoneInfo zone, DateTimeOffset now)
    {
        var list = backups.OrderByDescending(b => b.Timestamp).ThenByDescending(b => BackupVersion.Parse(b.Version)).ToList();
        if (list.Count == 0) return [];
        if (policy.IsEmpty) return [.. list.Select(b => new RetentionDecision(b, true, ["policy is empty"]))];

        var buckets = new (int Count, Func<DateTime, int, long> Bucket, long Last, string Reason)[]
        {
            (policy.Last, (_, nr) => nr, -1, "last"),
            (policy.Hourly, (t, _) => ((t.Year * 100L + t.Month) * 100 + t.Day) * 100 + t.Hour, -1, "hourly"),
            (policy.Daily, (t, _) => (t.Year * 100L + t.Month) * 100 + t.Day, -1, "daily"),
            (policy.Weekly, (t, _) => ISOWeek.GetYear(t) * 100L + ISOWeek.GetWeekOfYear(t), -1, "weekly"),
            (policy.Monthly, (t, _) => t.Year * 100L + t.Month, -1, "monthly"),
            (policy.Yearly, (t, _) => t.Year, -1, "yearly"),
        };
        // The newest that is not in the future, as restic takes it.
        var latest = list.Select(b => Local(b, zone)).Where(t => t < TimeZoneInfo.ConvertTime(now, zone).DateTime).DefaultIfEmpty(DateTime.MinValue).Max();
        var decisions = new List<RetentionDecision>();
        for (var nr = 0; nr < list.Count; nr++)
        {
            var time = Local(list[nr], zone);
            var reasons = new List<string>();
            if (policy.Within is { IsZero: false } within && time > within.Before(latest)) reasons.Add($"within {within}");
            for (var i = 0; i < buckets.Length; i++)
            {
                if (buckets[i].Count <= 0) continue;
                var value = buckets[i].Bucket(time, nr);
                // The oldest is kept too while a rule has counts left: the longest history the counts allow.
                if (value != buckets[i].Last || nr == list.Count - 1)
                {
                    buckets[i].Last = value;
                    buckets[i].Count--;
                    reasons.Add(buckets[i].Reason);
                }
            }
            if (nr == 0 && reasons.Count == 0) reasons.Add("newest");
            // Like restic's --keep-tag: kept, and not counted by the other rules.
            if (list[nr].Protected) reasons.Add("protected");
            decisions.Add(new RetentionDecision(list[nr], reasons.Count > 0, reasons));
        }
        return decisions;
    }

    private static DateTime Local(BackupRecord backup, TimeZoneInfo zone) => TimeZoneInfo.ConvertTime(backup.Timestamp, zone).DateTime;
}
