using System.Collections;
using System.Management.Automation;
using IncusBackup.Tests.Infrastructure;
using Xunit;

namespace IncusBackup.Tests.InfrastructureSelfTests;

public sealed class PowerShellSessionSelfTests : IDisposable
{
    private readonly PowerShellSession _session = PowerShellSession.CreateWithoutModule();

    public void Dispose() => _session.Dispose();

    [Fact]
    public void Variables_are_set_before_the_script_runs_and_persist()
    {
        PowerShellResult result = _session.Invoke("$x + 1", new Hashtable { ["x"] = 41 }).AssertNoErrors();

        Assert.Equal(42, Assert.Single(result.Output).BaseObject);
        Assert.Equal(41, _session.GetVariable("x"));
    }

    [Fact]
    public void Prop_reads_and_converts_properties()
    {
        PSObject item = Assert.Single(_session.Invoke("[pscustomobject]@{ Name = 'web'; Size = 42; Tags = @('a', 'b') }").Output);

        Assert.Equal("web", PowerShellSession.Prop<string>(item, "Name"));
        Assert.Equal(42L, PowerShellSession.Prop<long>(item, "Size"));
        Assert.Equal(["a", "b"], PowerShellSession.Prop<string[]>(item, "Tags")!);
        var missing = Assert.Throws<KeyNotFoundException>(() => PowerShellSession.Prop<int>(item, "Nope"));
        Assert.Contains("Name, Size, Tags", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Streams_and_host_output_are_captured_separately()
    {
        PowerShellResult result = _session.Invoke("""
            function Write-Everything {
                [CmdletBinding()] param()
                $PSCmdlet.WriteWarning('careful')
                $PSCmdlet.WriteVerbose('details')
                $PSCmdlet.WriteDebug('internals')
                $PSCmdlet.WriteInformation('note', [string[]]@('tag1'))
                $PSCmdlet.WriteInformation([System.Management.Automation.HostInformationMessage]@{ Message = 'to the host' }, [string[]]@('PSHOST'))
                $Host.UI.WriteLine('direct line')
                $Host.UI.Write('partial ')
                $Host.UI.WriteLine('line')
                $PSCmdlet.WriteProgress([System.Management.Automation.ProgressRecord]::new(7, 'Activity', 'Status'))
                'output'
            }
            # -Debug would make WriteDebug inquire (a prompt); Continue just writes.
            $DebugPreference = 'Continue'
            Write-Everything -Verbose
            """).AssertNoErrors();

        Assert.Equal(["output"], result.Output.Select(o => o.BaseObject));
        Assert.Equal(["careful"], result.Warnings);
        Assert.Equal(["details"], result.Verbose);
        Assert.Equal(["internals"], result.Debug);
        Assert.Equal(["note", "to the host"], result.Information.Select(i => i.MessageData.ToString()));
        Assert.Equal(["to the host", "direct line", "partial line"], result.HostLines);
        Assert.Equal(7, Assert.Single(result.Progress).ActivityId);
        Assert.Equal(["careful"], _session.Host.UI.WarningLines);
        Assert.Equal(["internals"], _session.Host.UI.DebugLines);
    }

    [Fact]
    public void Throw_is_a_terminating_error_and_earlier_output_is_kept()
    {
        PowerShellResult result = _session.Invoke("'before'; throw 'boom'; 'after'");

        Assert.True(result.HadTerminatingError);
        Assert.Equal(["before"], result.Output.Select(o => o.BaseObject));
        Assert.Equal("boom", result.TerminatingError!.Exception.Message);
        Assert.Same(result.TerminatingError, Assert.Single(result.Errors));
    }

    [Fact]
    public void Non_terminating_errors_are_listed_and_ErrorAction_Stop_makes_them_terminating()
    {
        const string writeFailure = """
            function Write-Failure {
                [CmdletBinding()] param()
                $PSCmdlet.WriteError([System.Management.Automation.ErrorRecord]::new(
                    [Exception]::new('it failed'), 'TestFailure', [System.Management.Automation.ErrorCategory]::WriteError, 'item1'))
                'after the error'
            }
            """;
        _session.Invoke(writeFailure).AssertNoErrors();

        PowerShellResult nonTerminating = _session.Invoke("Write-Failure");
        PowerShellResult stopped = _session.Invoke("Write-Failure -ErrorAction Stop; 'not reached'");

        Assert.False(nonTerminating.HadTerminatingError);
        Assert.Equal(["after the error"], nonTerminating.Output.Select(o => o.BaseObject));
        Assert.Equal("TestFailure,Write-Failure", Assert.Single(nonTerminating.Errors).FullyQualifiedErrorId);
        Assert.True(stopped.HadTerminatingError);
        Assert.Empty(stopped.Output);
        Assert.Equal("TestFailure,Write-Failure", stopped.TerminatingError!.FullyQualifiedErrorId);
        Assert.Equal("item1", stopped.TerminatingError.TargetObject);
    }

    [Fact]
    public void AssertNoErrors_fails_with_the_error_ids()
    {
        PowerShellResult result = _session.Invoke("throw 'boom'");

        var ex = Assert.Throws<InvalidOperationException>(() => result.AssertNoErrors());
        Assert.Contains("boom", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_fails_clearly_when_the_module_is_not_built()
    {
        using var empty = new TempDirectory();

        var ex = Assert.Throws<InvalidOperationException>(() => PowerShellSession.Create(moduleDirectory: empty.Path));

        Assert.Contains("is not built", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Build first", ex.Message, StringComparison.Ordinal);
        Assert.Contains(PowerShellSession.ModuleAssemblyFileName, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_imports_a_binary_module_folder()
    {
        // A stand-in for the built module: this test assembly (it holds cmdlets) under the module's file names.
        using var root = new TempDirectory();
        string module = Directory.CreateDirectory(root.Combine("IncusBackup")).FullName;
        // Like the real module, the cmdlet assembly lives in bin/.
        Directory.CreateDirectory(Path.Combine(module, "bin"));
        File.Copy(typeof(RemoveTestItemCommand).Assembly.Location, Path.Combine(module, "bin", PowerShellSession.ModuleAssemblyFileName));
        File.WriteAllText(Path.Combine(module, "IncusBackup.psd1"), $$"""
            @{
                RootModule = 'bin/{{PowerShellSession.ModuleAssemblyFileName}}'
                ModuleVersion = '0.0.1'
                GUID = '5d0f6a4e-4f52-4b8a-9a53-3c1b1a0e6f11'
                CmdletsToExport = @('Remove-TestItem')
            }
            """);

        using PowerShellSession session = PowerShellSession.Create(moduleDirectory: module);
        PowerShellResult result = session.Invoke("(Get-Command Remove-TestItem).ModuleName; Remove-TestItem x -WhatIf").AssertNoErrors();

        Assert.Equal(["IncusBackup"], result.Output.Select(o => o.BaseObject));
        Assert.Equal(["Performing the operation \"Remove test item\" on target \"x\"."], result.WhatIfLines);
    }

    [Fact]
    public void A_session_can_start_NonInteractive()
    {
        using PowerShellSession session = PowerShellSession.CreateWithoutModule(nonInteractive: true);

        Assert.True(session.NonInteractive);
        Assert.Single(session.Invoke("$Host.UI.ReadLine()").Errors);
    }
}
