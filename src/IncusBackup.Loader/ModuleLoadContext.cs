using System.Reflection;
using System.Runtime.Loader;

namespace IncusBackup.Loader;

/// <summary>
/// Keeps the module's engine and its third-party dependencies (YamlDotNet, ZstdSharp, Polly.Core) in a private
/// AssemblyLoadContext, so another module that loaded a different version of the same library into PowerShell's
/// shared context never breaks this one, and we never break it. The cmdlets and the model types scripts name
/// (<c>[IncusBackup.BackupRecord]</c>) stay in the default context, where scripts can resolve them. The cmdlets
/// reference the engine by name; the default context cannot find it (it lies in bin/engine/), asks
/// <see cref="AssemblyLoadContext.Resolving"/>, and this context answers. IncusBackup.psm1 calls
/// <see cref="Initialize"/> before importing the cmdlets.
/// </summary>
public sealed class ModuleLoadContext : AssemblyLoadContext
{
    private static readonly object Sync = new();
    private static ModuleLoadContext? _instance;

    private readonly string _engineFolder;

    private ModuleLoadContext(string engineFolder)
        : base("IncusBackup", isCollectible: false)
    {
        _engineFolder = engineFolder;
    }

    /// <summary>Creates the context (once per process) and has the default context ask it for the engine.</summary>
    /// <returns>The folder of the cmdlet assembly, to import.</returns>
    public static string Initialize()
    {
        lock (Sync)
        {
            var bin = Path.Combine(Path.GetDirectoryName(typeof(ModuleLoadContext).Assembly.Location)!, "bin");
            if (_instance is null)
            {
                _instance = new ModuleLoadContext(Path.Combine(bin, "engine"));
                Default.Resolving += (_, name) => _instance.FromEngineFolder(name);
            }
            return bin;
        }
    }

    /// <summary>Everything the engine needs that is in bin/engine/ loads here; the rest (model, PowerShell, .NET) is shared.</summary>
    protected override Assembly? Load(AssemblyName assemblyName) => FromEngineFolder(assemblyName);

    private Assembly? FromEngineFolder(AssemblyName name)
    {
        var path = Path.Combine(_engineFolder, name.Name + ".dll");
        return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
    }
}
