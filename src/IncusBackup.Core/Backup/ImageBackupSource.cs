using System.Text.Json;
using IncusBackup.Incus;
using IncusBackup.Repository;

namespace IncusBackup.Backup;

/// <summary>An image chosen for backup, in the project it was found in.</summary>
public sealed record ImageBackupSource(string Project, IncusImage Image)
{
    public string Fingerprint => Image.Fingerprint;
    public ResourceKey Resource => new(BackupKind.Image, Project, null, Fingerprint);

    /// <summary>The image object as the server returned it (aliases with descriptions, properties, settings).</summary>
    public JsonElement SourceObject => JsonSerializer.SerializeToElement(Image, IncusJsonContext.Default.IncusImage);

    /// <summary>The short form operators read: the first 12 hex digits and the first alias.</summary>
    public override string ToString() =>
        $"{Project}/{Fingerprint[..Math.Min(12, Fingerprint.Length)]}{(Image.Aliases.Count > 0 ? $" ({Image.Aliases[0].Name})" : "")}";
}
