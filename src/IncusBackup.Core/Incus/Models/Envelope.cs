using System.Text.Json;

namespace IncusBackup.Incus;

/// <summary>The envelope every Incus response uses: sync, async or error (docs/incus-api.md §0).</summary>
public sealed class IncusEnvelope
{
    public string Type { get; set; } = "";
    public string? Status { get; set; }
    public int StatusCode { get; set; }
    public string? Operation { get; set; }
    public int ErrorCode { get; set; }
    public string? Error { get; set; }
    public JsonElement Metadata { get; set; }
}

/// <summary>A background operation (GET /1.0/operations/{id}).</summary>
public sealed class IncusOperation
{
    public string Id { get; set; } = "";
    public string? Class { get; set; }
    public string? Description { get; set; }
    public string? Status { get; set; }
    public int StatusCode { get; set; }
    public Dictionary<string, List<string>>? Resources { get; set; }
    public JsonElement Metadata { get; set; }
    public string? Err { get; set; }
    public bool MayCancel { get; set; }

    /// <summary>A string field of the operation's metadata (create_backup_progress...), or null.</summary>
    public string? MetadataText(string key) =>
        Metadata.ValueKind == JsonValueKind.Object && Metadata.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}

/// <summary>The body of a rename (POST on an instance, volume or backup).</summary>
public sealed class RenameRequest
{
    public string Name { get; set; } = "";
}

/// <summary>POST /1.0/instances/{name}?target=m: moves a stopped instance to another cluster member.</summary>
public sealed class InstanceMoveRequest
{
    public string Name { get; set; } = "";
    public bool Migration { get; set; } = true;
    public bool Live { get; set; }
}
