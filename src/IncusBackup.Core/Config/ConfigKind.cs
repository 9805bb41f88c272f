namespace IncusBackup.Config;

/// <summary>The kinds of declarative config, in the order a restore applies them (each may need the ones before it).</summary>
public enum ConfigKind
{
    Project,
    StoragePool,
    Network,
    Profile,
    Server,
}
