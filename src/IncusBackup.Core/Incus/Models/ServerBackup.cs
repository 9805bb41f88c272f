namespace IncusBackup.Incus;

/// <summary>A backup the server keeps for an instance or a custom volume (GET .../backups/{name}).</summary>
public sealed class ServerBackup
{
    public string Name { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
}

/// <summary>What to ask of the server for one backup; each resource family spells it its own way on the wire.</summary>
public sealed record ServerBackupRequest
{
    /// <summary>The server-side backup's name; null for a streamed (direct) export, which keeps nothing.</summary>
    public string? Name { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>Leave snapshots out (instance_only / volume_only).</summary>
    public bool WithoutSnapshots { get; init; }
    public bool Optimized { get; init; }
    public string? Compression { get; init; }
}

public sealed class InstanceBackupRequest
{
    public string? Name { get; set; }
    public DateTimeOffset? ExpiresAt { get; set; }
    public bool InstanceOnly { get; set; }
    public bool OptimizedStorage { get; set; }
    public string? CompressionAlgorithm { get; set; }
}

public sealed class VolumeBackupRequest
{
    public string? Name { get; set; }
    public DateTimeOffset? ExpiresAt { get; set; }
    public bool VolumeOnly { get; set; }
    public bool OptimizedStorage { get; set; }
    public string? CompressionAlgorithm { get; set; }
}

/// <summary>A backup archive coming from the server: its body, where it starts in the file, and its full length when known.</summary>
public sealed class BackupDownload(HttpResponseMessage response, Stream body, long offset, long? totalLength) : IDisposable
{
    public Stream Body { get; } = body;

    /// <summary>The byte of the file the body starts at: the requested offset when the server honoured Range, else 0.</summary>
    public long Offset { get; } = offset;

    /// <summary>The length of the whole file, when the server said.</summary>
    public long? TotalLength { get; } = totalLength;

    public void Dispose()
    {
        Body.Dispose();
        response.Dispose();
    }
}

/// <summary>A backup archive to send to the server for import (POST /1.0/instances or .../volumes/custom).</summary>
public sealed record BackupUpload
{
    public required Stream Body { get; init; }

    /// <summary>Content-Length when known; null streams the body chunked.</summary>
    public long? Length { get; init; }

    /// <summary>X-Incus-name: the name to create.</summary>
    public required string Name { get; init; }

    /// <summary>X-Incus-pool: the root disk's pool (instances only).</summary>
    public string? Pool { get; init; }
}
