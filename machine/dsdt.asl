/*
 * SPDX-License-Identifier: MIT
 * The DSDT of a direct boot: the _S5 sleep package for ACPI power-off, the
 * i440FX PCI root bridge with its resources and interrupt routing through
 * the PIIX3's four PIRQ links, and the legacy ISA devices behind the PIIX3.
 * Compiled by iasl (Debian's acpica-tools) at build time into dsdt_aml.inc.
 */
DefinitionBlock ("", "DSDT", 2, "KESTRL", "KESTREL", 1)
{
    /* SLP_TYP for S5 is 0, as on the PIIX4 whose PM1 registers devices/acpi_pm
     * models: PM1a, PM1b, reserved, reserved. */
    Name (_S5, Package (4) { 0, 0, 0, 0 })

    Scope (_SB)
    {
        Device (PCI0)
        {
            Name (_HID, EisaId ("PNP0A03"))
            Name (_UID, Zero)
            Name (_CRS, ResourceTemplate ()
            {
                WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,
                    0x0000, 0x0000, 0x00FF, 0x0000, 0x0100)
                IO (Decode16, 0x0CF8, 0x0CF8, 0x01, 0x08)
                WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,
                    0x0000, 0x0000, 0x0CF7, 0x0000, 0x0CF8)
                WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,
                    0x0000, 0x0D00, 0xFFFF, 0x0000, 0xF300)
                DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, Cacheable, ReadWrite,
                    0x00000000, 0x000A0000, 0x000BFFFF, 0x00000000, 0x00020000)
                /* The PCI hole, up to the IOAPIC (QEMU's 'pc' layout). */
                DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite,
                    0x00000000, 0xE0000000, 0xFEBFFFFF, 0x00000000, 0x1EC00000)
            })

            /* Slot s, pin p (INTA = 0) goes to link (s + p - 1) mod 4, the
             * PIIX3's rotation of the four PIRQ lines across the slots (as
             * devices/pci.h's PciBus drives them and QEMU's pc wires them). */
            Method (_PRT, 0, NotSerialized)
            {
                Local0 = Package (128) {}
                Local1 = Zero
                While (Local1 < 128)
                {
                    Local2 = (Local1 >> 2)
                    Local3 = ((Local1 + Local2 + 3) & 3)
                    If (Local3 == 0) { Local4 = Package (4) { 0, 0, LNKA, 0 } }
                    If (Local3 == 1) { Local4 = Package (4) { 0, 0, LNKB, 0 } }
                    If (Local3 == 2) { Local4 = Package (4) { 0, 0, LNKC, 0 } }
                    If (Local3 == 3) { Local4 = Package (4) { 0, 0, LNKD, 0 } }
                    Local4[0] = ((Local2 << 16) | 0xFFFF)
                    Local4[1] = (Local1 & 3)
                    Local0[Local1] = Local4
                    Local1++
                }
                Return (Local0)
            }

            /* PIIX3 function 0, the PCI-to-ISA bridge. */
            Device (ISA)
            {
                Name (_ADR, 0x00010000)
                /* PIRQA-D route control, PCI configuration 0x60-0x63. */
                OperationRegion (PIRQ, PCI_Config, 0x60, 0x04)

                Device (KBD)
                {
                    Name (_HID, EisaId ("PNP0303"))
                    Name (_CRS, ResourceTemplate ()
                    {
                        IO (Decode16, 0x0060, 0x0060, 0x01, 0x01)
                        IO (Decode16, 0x0064, 0x0064, 0x01, 0x01)
                        IRQNoFlags () {1}
                    })
                }

                Device (MOU)
                {
                    Name (_HID, EisaId ("PNP0F13"))
                    Name (_CRS, ResourceTemplate () { IRQNoFlags () {12} })
                }

                Device (RTC)
                {
                    Name (_HID, EisaId ("PNP0B00"))
                    Name (_CRS, ResourceTemplate ()
                    {
                        IO (Decode16, 0x0070, 0x0070, 0x01, 0x02)
                        IRQNoFlags () {8}
                    })
                }

                Device (COM1)
                {
                    Name (_HID, EisaId ("PNP0501"))
                    Name (_UID, One)
                    Name (_CRS, ResourceTemplate ()
                    {
                        IO (Decode16, 0x03F8, 0x03F8, 0x01, 0x08)
                        IRQNoFlags () {4}
                    })
                }
            }
        }

        Field (PCI0.ISA.PIRQ, ByteAcc, NoLock, Preserve)
        {
            PRQA, 8,
            PRQB, 8,
            PRQC, 8,
            PRQD, 8
        }

        /* A PIRQ route register: bit 7 set = disabled, else the ISA IRQ. */
        Method (IQST, 1, NotSerialized)
        {
            If (0x80 & Arg0) { Return (0x09) }
            Return (0x0B)
        }

        Method (IQCR, 1, Serialized)
        {
            Name (PRR0, ResourceTemplate ()
            {
                Interrupt (ResourceConsumer, Level, ActiveHigh, Shared, , , PRRI) { 0 }
            })
            CreateDWordField (PRR0, PRRI._INT, PRRV)
            If (Arg0 < 0x80) { PRRV = Arg0 }
            Return (PRR0)
        }

        Device (LNKA)
        {
            Name (_HID, EisaId ("PNP0C0F"))
            Name (_UID, 0)
            Name (_PRS, ResourceTemplate ()
            {
                Interrupt (ResourceConsumer, Level, ActiveHigh, Shared) { 5, 10, 11 }
            })
            Method (_STA, 0, NotSerialized) { Return (IQST (PRQA)) }
            Method (_DIS, 0, NotSerialized) { PRQA |= 0x80 }
            Method (_CRS, 0, NotSerialized) { Return (IQCR (PRQA)) }
            Method (_SRS, 1, NotSerialized)
            {
                CreateDWordField (Arg0, 0x05, PRRI)
                PRQA = PRRI
            }
        }

        Device (LNKB)
        {
            Name (_HID, EisaId ("PNP0C0F"))
            Name (_UID, 1)
            Name (_PRS, ResourceTemplate ()
            {
                Interrupt (ResourceConsumer, Level, ActiveHigh, Shared) { 5, 10, 11 }
            })
            Method (_STA, 0, NotSerialized) { Return (IQST (PRQB)) }
            Method (_DIS, 0, NotSerialized) { PRQB |= 0x80 }
            Method (_CRS, 0, NotSerialized) { Return (IQCR (PRQB)) }
            Method (_SRS, 1, NotSerialized)
            {
                CreateDWordField (Arg0, 0x05, PRRI)
                PRQB = PRRI
            }
        }

        Device (LNKC)
        {
            Name (_HID, EisaId ("PNP0C0F"))
            Name (_UID, 2)
            Name (_PRS, ResourceTemplate ()
            {
                Interrupt (ResourceConsumer, Level, ActiveHigh, Shared) { 5, 10, 11 }
            })
            Method (_STA, 0, NotSerialized) { Return (IQST (PRQC)) }
            Method (_DIS, 0, NotSerialized) { PRQC |= 0x80 }
            Method (_CRS, 0, NotSerialized) { Return (IQCR (PRQC)) }
            Method (_SRS, 1, NotSerialized)
            {
                CreateDWordField (Arg0, 0x05, PRRI)
                PRQC = PRRI
            }
        }

        Device (LNKD)
        {
            Name (_HID, EisaId ("PNP0C0F"))
            Name (_UID, 3)
            Name (_PRS, ResourceTemplate ()
            {
                Interrupt (ResourceConsumer, Level, ActiveHigh, Shared) { 5, 10, 11 }
            })
            Method (_STA, 0, NotSerialized) { Return (IQST (PRQD)) }
            Method (_DIS, 0, NotSerialized) { PRQD |= 0x80 }
            Method (_CRS, 0, NotSerialized) { Return (IQCR (PRQD)) }
            Method (_SRS, 1, NotSerialized)
            {
                CreateDWordField (Arg0, 0x05, PRRI)
                PRQD = PRRI
            }
        }
    }
}
