namespace IncusBackup.Incus;

/// <summary>An image as GET /1.0/images/{fingerprint} returns it.</summary>
public sealed class IncusImage
{
    public string Fingerprint { get; set; } = "";

    /// <summary>container or virtual-machine.</summary>
    public string? Type { get; set; }
    public string? Architecture { get; set; }
    public string? Filename { get; set; }
    public long Size { get; set; }
    public bool Public { get; set; }
    public bool AutoUpdate { get; set; }
    public bool Cached { get; set; }
    public string? Project { get; set; }
    public List<ImageAlias> Aliases { get; set; } = [];
    public Dictionary<string, string> Properties { get; set; } = [];
    public List<string> Profiles { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>The settings PUT /1.0/images/{fingerprint} takes.</summary>
    public ImageUpdate ToUpdate() => new()
    {
        AutoUpdate = AutoUpdate, Properties = Properties, Public = Public, Profiles = Profiles,
        ExpiresAt = ExpiresAt.Year > 1 ? ExpiresAt : null,
    };
}

/// <summary>An alias as an image lists it.</summary>
public sealed class ImageAlias
{
    public string Name { get; set; } = "";
    public string? Description { get; set; }
}

/// <summary>An alias as /1.0/images/aliases lists it: its name and the fingerprint it points at.</summary>
public sealed class ImageAliasEntry
{
    public string Name { get; set; } = "";
    public string? Description { get; set; }
    public string Target { get; set; } = "";
    public string? Type { get; set; }
}

/// <summary>The writable settings of an image.</summary>
public sealed class ImageUpdate
{
    public bool AutoUpdate { get; set; }
    public Dictionary<string, string> Properties { get; set; } = [];
    public bool Public { get; set; }
    public List<string> Profiles { get; set; } = [];
    public DateTimeOffset? ExpiresAt { get; set; }
}

/// <summary>The body of POST /1.0/images/aliases and PUT /1.0/images/aliases/{name}.</summary>
public sealed class ImageAliasRequest
{
    public string? Name { get; set; }
    public string? Description { get; set; }
    public string Target { get; set; } = "";
}

/// <summary>
/// One file of an image as the server exports it: a unified image is one part ("image"); a split image is
/// "metadata" then "rootfs" (a container's squashfs or tarball) or "rootfs.img" (a VM's disk).
/// </summary>
public sealed record ImagePart(string Name, string? FileName, Stream Body);

/// <summary>An image to upload: one unified file, or the metadata and rootfs parts of a split image.</summary>
public sealed record ImageUpload
{
    /// <summary>The parts in order: one named "image" (unified), or "metadata" then "rootfs"/"rootfs.img".</summary>
    public required IReadOnlyList<ImagePart> Parts { get; init; }

    /// <summary>The unified file's length, when one part; null sends it chunked.</summary>
    public long? Length { get; init; }
}
