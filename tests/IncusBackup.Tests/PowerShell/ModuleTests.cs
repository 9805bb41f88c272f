using IncusBackup.Tests.Infrastructure;
using Xunit;

namespace IncusBackup.Tests.Module;

/// <summary>The built module as PowerShell sees it: exports, help, dependency isolation, completion.</summary>
public sealed class ModuleTests : IDisposable
{
    private static readonly string[] Cmdlets =
        ["Backup-IncusConfig", "Backup-IncusImage", "Backup-IncusInstance", "Backup-IncusServer", "Backup-IncusVolume", "Copy-IncusBackup", "Get-IncusBackup", "Initialize-IncusBackupRepository", "Protect-IncusBackup", "Remove-IncusBackup", "Restore-IncusConfig", "Restore-IncusImage", "Restore-IncusInstance", "Restore-IncusServer", "Restore-IncusVolume", "Test-IncusBackup", "Unprotect-IncusBackup"];

    private readonly PowerShellSession _ps = PowerShellSession.Create(nonInteractive: true);

    public void Dispose() => _ps.Dispose();

    [Fact]
    public void ExportsExactlyTheManifestsCmdlets_WithTheManifestsVersion()
    {
        var result = _ps.Invoke("Get-Command -Module IncusBackup | ForEach-Object Name; (Get-Module IncusBackup).Version.ToString()");
        result.AssertNoErrors();
        var names = result.Output.Select(o => o.ToString()).ToList();
        Assert.Equal(Cmdlets, names.Take(names.Count - 1).Order(StringComparer.Ordinal));
        var manifest = File.ReadAllText(RepositoryRoot.Combine("module", "IncusBackup", "IncusBackup.psd1"));
        Assert.Contains($"ModuleVersion        = '{names[^1]}'", manifest, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryCmdlet_HasWrittenHelp_WithExamplesAndParameterDescriptions()
    {
        foreach (var cmdlet in Cmdlets)
        {
            var result = _ps.Invoke($"$h = Get-Help {cmdlet} -Full; $h.Synopsis; @($h.examples.example).Count; @($h.parameters.parameter | Where-Object {{ -not $_.description }}).Count");
            result.AssertNoErrors();
            var synopsis = result.Output[0].ToString();
            Assert.False(synopsis.StartsWith(cmdlet, StringComparison.Ordinal), $"{cmdlet} has only generated help: {synopsis}");
            Assert.True((int)result.Output[1].BaseObject >= 2, $"{cmdlet} has fewer than two examples");
            Assert.Equal(0, (int)result.Output[2].BaseObject);
        }
        var about = _ps.Invoke("Get-Help about_IncusBackup");
        about.AssertNoErrors();
        Assert.Contains(about.Output, o => o?.ToString()?.Contains("about_IncusBackup", StringComparison.Ordinal) == true);
    }

    /// <summary>
    /// The module's layout: cmdlets and model types next to each other, the engine and its dependencies apart (the
    /// load contexts themselves are checked in a clean pwsh by tests/pester/Module.Tests.ps1: this test host has the
    /// engine loaded already).
    /// </summary>
    [Fact]
    public void ModelTypesResolveFromScripts_AndTheEngineLiesApartFromTheCmdlets()
    {
        var result = _ps.Invoke("""
            $recordType = (Get-Command Restore-IncusInstance).Parameters['InputObject'].ParameterType.GetElementType()
            $recordType -eq [IncusBackup.BackupRecord]
            [IncusBackup.Bytes]::Format(1536)
            """);
        result.AssertNoErrors();
        Assert.Equal(["True", "1.5 KiB"], result.Output.Select(o => o.ToString()));
        foreach (var engine in new[] { "IncusBackup.Core.dll", "YamlDotNet.dll", "ZstdSharp.dll", "Polly.Core.dll" })
        {
            Assert.True(File.Exists(RepositoryRoot.Combine("module", "IncusBackup", "bin", "engine", engine)), engine);
            Assert.False(File.Exists(RepositoryRoot.Combine("module", "IncusBackup", "bin", engine)), engine);
        }
        Assert.True(File.Exists(RepositoryRoot.Combine("module", "IncusBackup", "bin", "IncusBackup.Model.dll")));
    }

    [IncusFact]
    public async Task TabCompletion_OffersInstancesOfTheBoundProject()
    {
        using var fixture = new IncusProjectFixture();
        await fixture.InitializeAsync();
        fixture.Incus("init", IncusProjectFixture.DefaultImage, "complete-me");
        var input = $"Backup-IncusInstance -Project {fixture.Project} -Name comp";
        var result = _ps.Invoke("[System.Management.Automation.CommandCompletion]::CompleteInput($i, $i.Length, $null).CompletionMatches | ForEach-Object CompletionText",
            new Dictionary<string, object?> { ["i"] = input });
        result.AssertNoErrors();
        Assert.Equal(["complete-me"], result.Output.Select(o => o.ToString()));
        await fixture.DisposeAsync();
    }
}
