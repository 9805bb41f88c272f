using System.Text.Json;
using System.Text.Json.Serialization;
using IncusBackup.Errors;

namespace IncusBackup.Repository.Restic;

/// <summary>One entry of <c>restic snapshots --json</c>: the fields this backend reads.</summary>
internal sealed class ResticSnapshot
{
    public string Id { get; set; } = "";

    [JsonPropertyName("short_id")]
    public string ShortId { get; set; } = "";

    public DateTimeOffset Time { get; set; }

    public List<string> Paths { get; set; } = [];

    public List<string> Tags { get; set; } = [];

    public bool IsSeal => Tags.Contains(ResticTags.Seal);

    public string? BackupId => ResticTags.Value(Tags, "backup");

    public string? Location => ResticTags.Value(Tags, "location");

    public string? Version => ResticTags.Value(Tags, "version");

    public bool IsProtected => Tags.Contains(ResticTags.Protected);

    /// <summary>Parses the output of <c>restic snapshots --json</c> ("null" when there is none, in some versions).</summary>
    public static List<ResticSnapshot> ParseList(string json)
    {
        try
        {
            return JsonSerializer.Deserialize(string.IsNullOrWhiteSpace(json) ? "[]" : json, ResticJsonContext.Default.ListResticSnapshot) ?? [];
        }
        catch (JsonException e)
        {
            throw new IncusBackupException(ErrorIds.ResticFailed, ErrorKind.InvalidData,
                $"restic snapshots printed what is not a snapshot list: {e.Message}", null, "Check that $env:INCUS_BACKUP_RESTIC (or restic on PATH) is restic 0.14 or later.", e);
        }
    }

    /// <summary>The snapshot id from the summary line of <c>restic backup --json</c> (the last line that has one).</summary>
    public static string? SnapshotIdFromBackupOutput(string output)
    {
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Reverse())
        {
            if (!line.StartsWith('{')) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.TryGetProperty("message_type", out var type) && type.GetString() == "summary"
                    && doc.RootElement.TryGetProperty("snapshot_id", out var id))
                    return id.GetString();
            }
            catch (JsonException)
            {
                // Not a JSON line; restic prints warnings as text.
            }
        }
        return null;
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(List<ResticSnapshot>))]
internal sealed partial class ResticJsonContext : JsonSerializerContext;
