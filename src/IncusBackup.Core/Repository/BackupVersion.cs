using System.Globalization;
using IncusBackup.Errors;

namespace IncusBackup.Repository;

/// <summary>
/// A backup's version: its UTC timestamp to the second (YYYYMMDDThhmmssZ, as the spec lays out) plus a sequence
/// number for the rare second that holds several backups of one resource ("-2", "-3"...).
/// </summary>
public readonly record struct BackupVersion(DateTime Timestamp, int Sequence) : IComparable<BackupVersion>
{
    public const string TimestampFormat = "yyyyMMdd'T'HHmmss'Z'";

    public static BackupVersion At(DateTime utc) =>
        new(new DateTime(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc), 1);

    public BackupVersion Next() => this with { Sequence = Sequence + 1 };

    public override string ToString() =>
        Timestamp.ToString(TimestampFormat, CultureInfo.InvariantCulture) + (Sequence > 1 ? "-" + Sequence.ToString(CultureInfo.InvariantCulture) : "");

    public static bool TryParse(string? text, out BackupVersion version)
    {
        version = default;
        if (string.IsNullOrEmpty(text) || text.Length < 16) return false;
        var sequence = 1;
        if (text.Length > 16)
        {
            if (text[16] != '-' || !int.TryParse(text.AsSpan(17), NumberStyles.None, CultureInfo.InvariantCulture, out sequence) || sequence < 2)
                return false;
        }
        if (!DateTime.TryParseExact(text.AsSpan(0, 16), TimestampFormat, CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var ts))
            return false;
        version = new BackupVersion(DateTime.SpecifyKind(ts, DateTimeKind.Utc), sequence);
        return true;
    }

    public static BackupVersion Parse(string text) =>
        TryParse(text, out var v) ? v : throw new IncusBackupException(ErrorIds.InvalidVersion, ErrorKind.InvalidArgument,
            $"'{text}' is not a backup version; expected YYYYMMDDThhmmssZ (UTC), for example 20250914T121314Z.", text);

    public int CompareTo(BackupVersion other)
    {
        var byTime = Timestamp.CompareTo(other.Timestamp);
        return byTime != 0 ? byTime : Sequence.CompareTo(other.Sequence);
    }
}
