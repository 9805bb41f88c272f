namespace IncusBackup.Incus;

public sealed class StoragePool
{
    public string Name { get; set; } = "";
    public string Driver { get; set; } = "";
    public string? Status { get; set; }
    public Dictionary<string, string> Config { get; set; } = [];
}
