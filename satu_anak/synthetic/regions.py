"""A small table of real Kemendagri region codes used to place synthetic children."""

from __future__ import annotations

import random
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate
from typing import Final, Literal

__all__ = [
    "KABUPATEN",
    "PROVINCES",
    "Region",
    "all_desa",
    "all_kecamatan",
    "get_region",
    "kabupaten_name",
    "kecamatan_name",
    "province_name",
    "random_desa",
    "random_kecamatan",
    "region_name",
]

Level = Literal["province", "kabupaten", "kecamatan", "desa"]


@dataclass(frozen=True, slots=True)
class Region:
    """One administrative area; ``parent`` is the code one level up ('' for a province)."""

    code: str
    name: str
    level: Level
    parent: str

    @property
    def is_kota(self) -> bool:
        """A kota (city) rather than a kabupaten (regency); kota codes are 71 and above."""
        return self.level == "kabupaten" and int(self.code[3:5]) >= 71

    @property
    def is_kelurahan(self) -> bool:
        """An urban kelurahan rather than a village (desa); kelurahan codes start with 1."""
        return self.level == "desa" and self.code[9] == "1"


_PROVINCE_ROWS: Final[tuple[tuple[str, str], ...]] = (
    ("13", "Sumatera Barat"),
    ("14", "Riau"),
    ("15", "Jambi"),
    ("18", "Lampung"),
    ("21", "Kepulauan Riau"),
    ("31", "DKI Jakarta"),
    ("53", "Nusa Tenggara Timur"),
)

# Codes and names follow Kepmendagri 300.2.2-2138/2025: a subset, a few kecamatan per
# kabupaten/kota and a few desa/kelurahan per kecamatan, each area listed under its parent.
_AREAS: Final[tuple[tuple[str, str], ...]] = (
    ("14.71", "Kota Pekanbaru"),
    ("14.71.06", "Rumbai Barat"),
    ("14.71.06.1003", "Rumbai Bukit"),
    ("14.71.06.1005", "Muarafajar Timur"),
    ("14.71.06.1010", "Muarafajar Barat"),
    ("14.71.06.1011", "Rantaupanjang"),
    ("14.71.07", "Bukit Raya"),
    ("14.71.07.1005", "Simpang Tiga"),
    ("14.71.07.1006", "Tangkerang Selatan"),
    ("14.71.07.1008", "Tangkerang Utara"),
    ("14.71.07.1011", "Tangkerang Labuai"),
    ("14.71.09", "Marpoyan Damai"),
    ("14.71.09.1001", "Tangkerang Barat"),
    ("14.71.09.1002", "Tangkerang Tengah"),
    ("14.71.09.1003", "Sidomulyo Timur"),
    ("14.71.09.1004", "Wonorejo"),
    ("14.71.10", "Tenayan Raya"),
    ("14.71.10.1002", "Bencahlesung"),
    ("14.71.10.1003", "Tangkerang Timur"),
    ("14.71.10.1004", "Rejosari"),
    ("14.71.10.1005", "Bambukuning"),
    ("14.71.12", "Rumbai"),
    ("14.71.12.1001", "Meranti Pandak"),
    ("14.71.12.1004", "Lembah Damai"),
    ("14.71.12.1006", "Limbungan Baru"),
    ("14.71.12.1009", "Sri Meranti"),
    ("14.01", "Kabupaten Kampar"),
    ("14.01.01", "Bangkinang Kota"),
    ("14.01.01.1011", "Bangkinang"),
    ("14.01.01.1013", "Langgini"),
    ("14.01.01.2009", "Kumantan"),
    ("14.01.01.2010", "Ridan Permai"),
    ("14.01.02", "Kampar"),
    ("14.01.02.1027", "Air Tiris"),
    ("14.01.02.2001", "Batu Belah"),
    ("14.01.02.2003", "Tanjung Berulak"),
    ("14.01.02.2006", "Ranah"),
    ("14.01.03", "Tambang"),
    ("14.01.03.2001", "Tambang"),
    ("14.01.03.2002", "Kuapan"),
    ("14.01.03.2003", "Gobah"),
    ("14.01.03.2004", "Teluk Kenidai"),
    ("14.01.04", "XIII Koto Kampar"),
    ("14.01.04.1018", "Batu Bersurat"),
    ("14.01.04.2004", "Gunung Bungsu"),
    ("14.01.04.2005", "Koto Tuo"),
    ("14.01.04.2006", "Balung"),
    ("14.08", "Kabupaten Siak"),
    ("14.08.01", "Siak"),
    ("14.08.01.1001", "Kampung Dalam"),
    ("14.08.01.1002", "Kampung Rempak"),
    ("14.08.01.2003", "Langkai"),
    ("14.08.01.2011", "Tumang"),
    ("14.08.02", "Sungai Apit"),
    ("14.08.02.1001", "Sungai Apit"),
    ("14.08.02.2002", "Teluk Lanus"),
    ("14.08.02.2003", "Tanjung Kuras"),
    ("14.08.02.2004", "Parit I/II"),
    ("14.08.03", "Minas"),
    ("14.08.03.1001", "Minas Jaya"),
    ("14.08.03.2002", "Minas Timur"),
    ("14.08.03.2003", "Minas Barat"),
    ("14.08.03.2004", "Mandi Angin"),
    ("14.08.04", "Tualang"),
    ("14.08.04.1001", "Perawang"),
    ("14.08.04.2002", "Tualang"),
    ("14.08.04.2003", "Pinang Sebatang"),
    ("14.08.04.2004", "Meredan"),
    ("14.03", "Kabupaten Bengkalis"),
    ("14.03.01", "Bengkalis"),
    ("14.03.01.1001", "Bengkalis Kota"),
    ("14.03.01.1002", "Damon"),
    ("14.03.01.1003", "Rimba Sekampung"),
    ("14.03.01.2004", "Kelapapati"),
    ("14.03.02", "Bantan"),
    ("14.03.02.2001", "Bantan Tengah"),
    ("14.03.02.2002", "Bantan Air"),
    ("14.03.02.2003", "Bantan Tua"),
    ("14.03.02.2004", "Teluk Pambang"),
    ("14.03.09", "Mandau"),
    ("14.03.09.1001", "Air Jamban"),
    ("14.03.09.1002", "Babussalam"),
    ("14.03.09.1003", "Batang Serosa"),
    ("14.03.09.1004", "Balik Alam"),
    ("14.04", "Kabupaten Indragiri Hilir"),
    ("14.04.04", "Tembilahan"),
    ("14.04.04.1001", "Tembilahan Kota"),
    ("14.04.04.1002", "Tembilahan Hilir"),
    ("14.04.04.1003", "Seberang Tembilahan"),
    ("14.04.04.1004", "Sungaiperak"),
    ("14.04.01", "Reteh"),
    ("14.04.01.1001", "Pulaukijang"),
    ("14.04.01.1017", "Metro"),
    ("14.04.01.1018", "Madani"),
    ("14.04.01.2002", "Sanglar"),
    ("14.04.03", "Kuala Indragiri"),
    ("14.04.03.1007", "Sapat"),
    ("14.04.03.2001", "Sungaibuluh"),
    ("14.04.03.2002", "Tanjunglajau"),
    ("14.04.03.2003", "Sungaibela"),
    ("14.72", "Kota Dumai"),
    ("14.72.01", "Dumai Barat"),
    ("14.72.01.1003", "Pangkalan Sesai"),
    ("14.72.01.1006", "Purnama"),
    ("14.72.01.1008", "Bagan Keladi"),
    ("14.72.01.1009", "Simpang Tetap Darul Ichsan"),
    ("14.72.02", "Dumai Timur"),
    ("14.72.02.1002", "Teluk Binjai"),
    ("14.72.02.1003", "Tanjung Palas"),
    ("14.72.02.1004", "Jaya Mukti"),
    ("14.72.02.1006", "Buluh Kasap"),
    ("14.72.03", "Bukit Kapur"),
    ("14.72.03.1001", "Bukit Nenas"),
    ("14.72.03.1002", "Bukit Kayu Kapur"),
    ("14.72.03.1003", "Gurun Panjang"),
    ("14.72.03.1004", "Bagan Besar"),
    ("13.71", "Kota Padang"),
    ("13.71.01", "Padang Selatan"),
    ("13.71.01.1001", "Belakang Pondok"),
    ("13.71.01.1002", "Alang Laweh"),
    ("13.71.01.1003", "Ranah Parak Rumbio"),
    ("13.71.01.1004", "Pasa Gadang"),
    ("13.71.02", "Padang Timur"),
    ("13.71.02.1001", "Sawahan"),
    ("13.71.02.1002", "Jati Baru"),
    ("13.71.02.1003", "Jati"),
    ("13.71.02.1004", "Sawahan Timur"),
    ("13.71.03", "Padang Barat"),
    ("13.71.03.1001", "Flamboyan Baru"),
    ("13.71.03.1002", "Rimbo Kaluang"),
    ("13.71.03.1003", "Ujung Gurun"),
    ("13.71.03.1004", "Purus"),
    ("13.71.04", "Padang Utara"),
    ("13.71.04.1001", "Air Tawar Timur"),
    ("13.71.04.1002", "Air Tawar Barat"),
    ("13.71.04.1003", "Ulak Karang Utara"),
    ("13.71.04.1004", "Ulak Karang Selatan"),
    ("13.73", "Kota Sawahlunto"),
    ("13.73.01", "Lembah Segar"),
    ("13.73.01.1001", "Aur Mulio"),
    ("13.73.01.1002", "Kubang Sirakuk Utara"),
    ("13.73.01.1003", "Kubang S. Selatan"),
    ("13.73.01.1004", "Pasar"),
    ("13.73.02", "Barangin"),
    ("13.73.02.1001", "Saringan"),
    ("13.73.02.1002", "Lubang Panjang"),
    ("13.73.02.1003", "Durian I"),
    ("13.73.02.1004", "Durian II"),
    ("13.73.03", "Silungkang"),
    ("13.73.03.2001", "Silungkang Duo"),
    ("13.73.03.2002", "Silungkang Oso"),
    ("13.73.03.2003", "Silungkang Tigo"),
    ("13.73.03.2004", "Muaro Kalaban"),
    ("13.06", "Kabupaten Agam"),
    ("13.06.02", "Lubuk Basung"),
    ("13.06.02.2001", "Lubuk Basung"),
    ("13.06.02.2002", "Garagahan"),
    ("13.06.02.2003", "Kampung Pinang"),
    ("13.06.02.2004", "Kampung Tangah"),
    ("13.06.03", "Tanjung Raya"),
    ("13.06.03.2001", "Tanjung Sani"),
    ("13.06.03.2002", "Sungai Batang"),
    ("13.06.03.2003", "Maninjau"),
    ("13.06.03.2004", "Bayua"),
    ("13.06.04", "Matur"),
    ("13.06.04.2001", "Matua Hilia"),
    ("13.06.04.2002", "Matua Mudiak"),
    ("13.06.04.2003", "Tigo Balai"),
    ("13.06.04.2004", "Lawang"),
    ("13.05", "Kabupaten Padang Pariaman"),
    ("13.05.01", "Lubuak Aluang"),
    ("13.05.01.2001", "Lubuk Alung"),
    ("13.05.01.2002", "Pungguang Kasiak Lubuk Alung"),
    ("13.05.01.2003", "Pasie Laweh Lubuk Alung"),
    ("13.05.01.2004", "Aie Tajun Lubuk Alung"),
    ("13.05.02", "Batang Anai"),
    ("13.05.02.2001", "Katapiang"),
    ("13.05.02.2002", "Kasang"),
    ("13.05.02.2003", "Sungai Buluah"),
    ("13.05.02.2004", "Buayan Lubuk Alung"),
    ("13.05.03", "Nan Sabaris"),
    ("13.05.03.2001", "Kapalo Koto"),
    ("13.05.03.2002", "Pauh Kambar"),
    ("13.05.03.2003", "Padang Bintungan"),
    ("13.05.03.2004", "Kurai Taji"),
    ("15.71", "Kota Jambi"),
    ("15.71.01", "Telanaipura"),
    ("15.71.01.1001", "Simpang IV Sipin"),
    ("15.71.01.1002", "Buluran Kenali"),
    ("15.71.01.1003", "Teluk Kenali"),
    ("15.71.01.1004", "Telanaipura"),
    ("15.71.02", "Jambi Selatan"),
    ("15.71.02.1002", "Pasir Putih"),
    ("15.71.02.1003", "Tambak Sari"),
    ("15.71.02.1004", "Thehok"),
    ("15.71.02.1005", "Wijaya Pura"),
    ("15.71.03", "Jambi Timur"),
    ("15.71.03.1001", "Sijenjang"),
    ("15.71.03.1002", "Kasang Jaya"),
    ("15.71.03.1003", "Talang Banjar"),
    ("15.71.03.1004", "Budiman"),
    ("15.71.08", "Jelutung"),
    ("15.71.08.1001", "Talang Jauh"),
    ("15.71.08.1002", "Cempaka Putih"),
    ("15.71.08.1003", "Kebun Handil"),
    ("15.71.08.1004", "Lebak Bandung"),
    ("15.05", "Kabupaten Muaro Jambi"),
    ("15.05.01", "Jambi Luar Kota"),
    ("15.05.01.1003", "Pijoan"),
    ("15.05.01.2002", "Sungai Bertam"),
    ("15.05.01.2004", "Pematang Jering"),
    ("15.05.01.2005", "Muaro Pijoan"),
    ("15.05.02", "Sekernan"),
    ("15.05.02.1010", "Sengeti"),
    ("15.05.02.2001", "Suak Putat"),
    ("15.05.02.2002", "Rantau Majo"),
    ("15.05.02.2003", "Pulau Kayu Aro"),
    ("15.05.03", "Kumpeh"),
    ("15.05.03.1008", "Tanjung"),
    ("15.05.03.2001", "Puding"),
    ("15.05.03.2002", "Pulau Mentaro"),
    ("15.05.03.2003", "Betung"),
    ("15.09", "Kabupaten Tebo"),
    ("15.09.01", "Tebo Tengah"),
    ("15.09.01.1001", "Muara Tebo"),
    ("15.09.01.1002", "Tebing Tinggi"),
    ("15.09.01.2003", "Bedaro Rampak"),
    ("15.09.01.2004", "Mangun Jayo"),
    ("15.09.02", "Tebo Ilir"),
    ("15.09.02.1001", "Sungai Bengkal"),
    ("15.09.02.2002", "Sungai Aro"),
    ("15.09.02.2003", "Teluk Rendah Pasar"),
    ("15.09.02.2004", "Teluk Rendah Ulu"),
    ("15.09.04", "Rimbo Bujang"),
    ("15.09.04.1001", "Wirotho Agung"),
    ("15.09.04.1009", "Sarana Agung"),
    ("15.09.04.1010", "Mandiri Agung"),
    ("15.09.04.2002", "Perintis"),
    ("21.71", "Kota Batam"),
    ("21.71.03", "Sekupang"),
    ("21.71.03.1001", "Sungai Harapan"),
    ("21.71.03.1002", "Tanjung Pinggir"),
    ("21.71.03.1003", "Tanjung Riau"),
    ("21.71.03.1005", "Tiban Indah"),
    ("21.71.06", "Lubuk Baja"),
    ("21.71.06.1001", "Kampung Pelita"),
    ("21.71.06.1003", "Lubuk Baja Kota"),
    ("21.71.06.1004", "Batu Selicin"),
    ("21.71.06.1005", "Tanjung Uma"),
    ("21.71.09", "Bengkong"),
    ("21.71.09.1001", "Bengkong Indah"),
    ("21.71.09.1002", "Bengkong Laut"),
    ("21.71.09.1003", "Sadai"),
    ("21.71.09.1004", "Tanjung Buntung"),
    ("21.71.11", "Sagulung"),
    ("21.71.11.1001", "Tembesi"),
    ("21.71.11.1002", "Sungai Binti"),
    ("21.71.11.1003", "Sungai Lekop"),
    ("21.71.11.1004", "Sagulung Kota"),
    ("21.72", "Kota Tanjung Pinang"),
    ("21.72.01", "Tanjung Pinang Barat"),
    ("21.72.01.1001", "Tanjung Pinang Barat"),
    ("21.72.01.1002", "Kemboja"),
    ("21.72.01.1003", "Kampung Baru"),
    ("21.72.01.1004", "Bukit Cermin"),
    ("21.72.02", "Tanjung Pinang Timur"),
    ("21.72.02.1001", "Melayu Kota Piring"),
    ("21.72.02.1002", "Kampung Bulang"),
    ("21.72.02.1003", "Air Raja"),
    ("21.72.02.1004", "Batu IX"),
    ("21.72.04", "Bukit Bestari"),
    ("21.72.04.1001", "Tanjung Pinang Timur"),
    ("21.72.04.1002", "Dompak"),
    ("21.72.04.1003", "Tanjung Ayun Sakti"),
    ("21.72.04.1004", "Sei Jang"),
    ("21.02", "Kabupaten Karimun"),
    ("21.02.02", "Kundur"),
    ("21.02.02.1001", "Tanjung Batu Barat"),
    ("21.02.02.1002", "Tanjung Batu Kota"),
    ("21.02.02.1009", "Gading Sari"),
    ("21.02.02.2004", "Sungai Sebesi"),
    ("21.02.03", "Karimun"),
    ("21.02.03.1001", "Tanjung Balai"),
    ("21.02.03.1002", "Teluk Air"),
    ("21.02.03.1003", "Sungai Lakam Timur"),
    ("21.02.03.1006", "Lubuk Semut"),
    ("21.02.04", "Meral"),
    ("21.02.04.1001", "Meral Kota"),
    ("21.02.04.1002", "Baran Barat"),
    ("21.02.04.1003", "Sungai Raya"),
    ("21.02.04.1006", "Baran Timur"),
    ("18.71", "Kota Bandar Lampung"),
    ("18.71.01", "Kedaton"),
    ("18.71.01.1003", "Kedaton"),
    ("18.71.01.1004", "Surabaya"),
    ("18.71.01.1005", "Sukamenanti"),
    ("18.71.01.1006", "Sidodadi"),
    ("18.71.02", "Sukarame"),
    ("18.71.02.1003", "Sukarame"),
    ("18.71.02.1004", "Way Dadi"),
    ("18.71.02.1006", "Sukarame Baru"),
    ("18.71.02.1007", "Way Dadi Baru"),
    ("18.71.10", "Rajabasa"),
    ("18.71.10.1001", "Rajabasa"),
    ("18.71.10.1002", "Gedong Meneng"),
    ("18.71.10.1005", "Rajabasa Nunyai"),
    ("18.71.10.1006", "Rajabasa Pemuka"),
    ("18.71.13", "Kemiling"),
    ("18.71.13.1001", "Sumber Rejo"),
    ("18.71.13.1003", "Beringin Jaya"),
    ("18.71.13.1004", "Kemiling Permai"),
    ("18.71.13.1005", "Sumber Agung"),
    ("18.02", "Kabupaten Lampung Tengah"),
    ("18.02.01", "Kalirejo"),
    ("18.02.01.2001", "Sri Way Langsep"),
    ("18.02.01.2002", "Wayakrui"),
    ("18.02.01.2003", "Kalirejo"),
    ("18.02.01.2004", "Balai Rejo"),
    ("18.02.02", "Bangun Rejo"),
    ("18.02.02.2001", "Purwodadi"),
    ("18.02.02.2002", "Sido Dadi"),
    ("18.02.02.2003", "Sido Rejo"),
    ("18.02.02.2004", "Cimarias"),
    ("18.02.04", "Gunung Sugih"),
    ("18.02.04.1005", "Gunung Sugih"),
    ("18.02.04.1006", "Gunung S. Raya"),
    ("18.02.04.1007", "Komering Agung"),
    ("18.02.04.1008", "Seputih Jaya"),
    ("18.02.05", "Trimurjo"),
    ("18.02.05.1003", "Adi Puro"),
    ("18.02.05.1004", "Trimurjo"),
    ("18.02.05.1007", "Simbar Waringin"),
    ("18.02.05.2001", "Depok Rejo"),
    ("18.01", "Kabupaten Lampung Selatan"),
    ("18.01.04", "Natar"),
    ("18.01.04.2001", "Hajimena"),
    ("18.01.04.2002", "Sidosari"),
    ("18.01.04.2003", "Pemanggilan"),
    ("18.01.04.2004", "Natar"),
    ("18.01.05", "Tanjung Bintang"),
    ("18.01.05.2001", "Kaliasin"),
    ("18.01.05.2003", "Lematang"),
    ("18.01.05.2004", "Sukanegara"),
    ("18.01.05.2005", "Serdang"),
    ("18.01.06", "Kalianda"),
    ("18.01.06.1006", "Bumi Agung"),
    ("18.01.06.1007", "Kalianda"),
    ("18.01.06.1008", "Way Urang"),
    ("18.01.06.1028", "Wai Lubuk"),
    ("53.71", "Kota Kupang"),
    ("53.71.01", "Alak"),
    ("53.71.01.1001", "Namosain"),
    ("53.71.01.1002", "Nunbaun Sabu"),
    ("53.71.01.1003", "Nunbaun Delha"),
    ("53.71.01.1004", "Nunhila"),
    ("53.71.02", "Maulafa"),
    ("53.71.02.1001", "Oepura"),
    ("53.71.02.1002", "Maulafa"),
    ("53.71.02.1003", "Penfui"),
    ("53.71.02.1004", "Naimata"),
    ("53.71.03", "Kelapa Lima"),
    ("53.71.03.1001", "Kelapa Lima"),
    ("53.71.03.1010", "Oesapa"),
    ("53.71.03.1011", "Lasiana"),
    ("53.71.03.1014", "Oesapa Barat"),
    ("53.71.04", "Oebobo"),
    ("53.71.04.1001", "Oebobo"),
    ("53.71.04.1008", "Oetete"),
    ("53.71.04.1009", "Oebufu"),
    ("53.71.04.1010", "Liliba"),
    ("53.71.05", "Kota Raja"),
    ("53.71.05.1001", "Bakunase"),
    ("53.71.05.1002", "Bakunase Dua"),
    ("53.71.05.1003", "Airnona"),
    ("53.71.05.1004", "Naikoten Satu"),
    ("53.01", "Kabupaten Kupang"),
    ("53.01.06", "Kupang Timur"),
    ("53.01.06.1001", "Babau"),
    ("53.01.06.1003", "Naibonat"),
    ("53.01.06.1004", "Oesao"),
    ("53.01.06.1005", "Merdeka"),
    ("53.01.05", "Kupang Barat"),
    ("53.01.05.1001", "Oenesu"),
    ("53.01.05.1002", "Batakte"),
    ("53.01.05.2003", "Manulai I"),
    ("53.01.05.2004", "Sumlili"),
    ("53.01.08", "Kupang Tengah"),
    ("53.01.08.1007", "Tarus"),
    ("53.01.08.2006", "Oelnasi"),
    ("53.01.08.2008", "Noelbaki"),
    ("53.01.08.2009", "Oelpuah"),
    ("53.01.10", "Fatuleu"),
    ("53.01.10.1001", "Camplong I"),
    ("53.01.10.2007", "Camplong II"),
    ("53.01.10.2008", "Naunnu"),
    ("53.01.10.2009", "Oebola"),
    ("53.02", "Kabupaten Timor Tengah Selatan"),
    ("53.02.01", "Kota Soe"),
    ("53.02.01.1001", "SoE"),
    ("53.02.01.1002", "Cendana"),
    ("53.02.01.1003", "Oebesa"),
    ("53.02.01.1004", "Taubneno"),
    ("53.02.02", "Mollo Selatan"),
    ("53.02.02.2001", "Biloto"),
    ("53.02.02.2003", "Kesetnana"),
    ("53.02.02.2006", "Tuasene"),
    ("53.02.02.2008", "Oinlasi"),
    ("53.02.05", "Amanuban Tengah"),
    ("53.02.05.1010", "Niki-Niki"),
    ("53.02.05.2001", "Taebesa"),
    ("53.02.05.2002", "Nakfunu"),
    ("53.02.05.2004", "Baki"),
    ("53.04", "Kabupaten Belu"),
    ("53.04.01", "Lamaknen"),
    ("53.04.01.2001", "Kewar"),
    ("53.04.01.2002", "Fulur"),
    ("53.04.01.2004", "Duarato"),
    ("53.04.01.2005", "Makir"),
    ("53.04.02", "Tasifeto Timur"),
    ("53.04.02.2001", "Silawan"),
    ("53.04.02.2002", "Tulakadi"),
    ("53.04.02.2003", "Sadi"),
    ("53.04.02.2004", "Umaklaran"),
    ("53.04.05", "Kakuluk Mesak"),
    ("53.04.05.2001", "Fatuketi"),
    ("53.04.05.2002", "Dualaus"),
    ("53.04.05.2003", "Jenilu"),
    ("53.04.05.2004", "Kenebibi"),
    ("53.07", "Kabupaten Sikka"),
    ("53.07.04", "Nita"),
    ("53.07.04.2001", "Nita"),
    ("53.07.04.2002", "Takaplager"),
    ("53.07.04.2003", "Tebuk"),
    ("53.07.04.2004", "Ladogahar"),
    ("53.07.05", "Alok"),
    ("53.07.05.1006", "Madawat"),
    ("53.07.05.1007", "Nangalimang"),
    ("53.07.05.1008", "Kabor"),
    ("53.07.05.1009", "Kota Uneng"),
    ("53.07.01", "Paga"),
    ("53.07.01.2001", "Masabewa"),
    ("53.07.01.2003", "Wolowiro"),
    ("53.07.01.2004", "Mbengu"),
    ("53.07.01.2005", "Paga"),
    ("53.10", "Kabupaten Manggarai"),
    ("53.10.03", "Ruteng"),
    ("53.10.03.1005", "Wae Belang"),
    ("53.10.03.2002", "Cumbi"),
    ("53.10.03.2003", "Kakor"),
    ("53.10.03.2004", "Pong Murung"),
    ("53.10.01", "Wae Rii"),
    ("53.10.01.2001", "Satar Ngkeling"),
    ("53.10.01.2002", "Lalong"),
    ("53.10.01.2003", "Poco"),
    ("53.10.01.2004", "Wae Mulu"),
    ("53.10.06", "Cibal"),
    ("53.10.06.1026", "Pagal"),
    ("53.10.06.2001", "Nenu"),
    ("53.10.06.2002", "Rado"),
    ("53.10.06.2006", "Wudi"),
    ("31.75", "Kota Administrasi Jakarta Timur"),
    ("31.75.02", "Pulogadung"),
    ("31.75.02.1001", "Pulo Gadung"),
    ("31.75.02.1002", "Pisangan Timur"),
    ("31.75.02.1003", "Cipinang"),
    ("31.75.02.1004", "Jatinegara Kaum"),
    ("31.75.03", "Jatinegara"),
    ("31.75.03.1001", "Kampung Melayu"),
    ("31.75.03.1002", "Bidara Cina"),
    ("31.75.03.1003", "Bali Mester"),
    ("31.75.03.1004", "Rawa Bunga"),
    ("31.75.06", "Cakung"),
    ("31.75.06.1001", "Jatinegara"),
    ("31.75.06.1002", "Rawa Terate"),
    ("31.75.06.1003", "Penggilingan"),
    ("31.75.06.1004", "Cakung Timur"),
    ("31.75.07", "Duren Sawit"),
    ("31.75.07.1001", "Duren Sawit"),
    ("31.75.07.1002", "Pondok Bambu"),
    ("31.75.07.1003", "Klender"),
    ("31.75.07.1004", "Pondok Kelapa"),
    ("31.72", "Kota Administrasi Jakarta Utara"),
    ("31.72.01", "Penjaringan"),
    ("31.72.01.1001", "Penjaringan"),
    ("31.72.01.1002", "Kamal Muara"),
    ("31.72.01.1003", "Kapuk Muara"),
    ("31.72.01.1004", "Pejagalan"),
    ("31.72.02", "Tanjung Priok"),
    ("31.72.02.1001", "Tanjung Priok"),
    ("31.72.02.1002", "Sunter Jaya"),
    ("31.72.02.1003", "Papanggo"),
    ("31.72.02.1004", "Sungai Bambu"),
    ("31.72.04", "Cilincing"),
    ("31.72.04.1001", "Cilincing"),
    ("31.72.04.1002", "Sukapura"),
    ("31.72.04.1003", "Marunda"),
    ("31.72.04.1004", "Kalibaru"),
)

# Relative number of synthetic children per kabupaten/kota: roughly its population in
# thousands, times 2 for Riau and 2.5 for NTT (the Balai caseloads we simulate are centred
# there) and 0.3 for Jakarta. Each kabupaten's weight is spread evenly over its listed desa.
_KABUPATEN_WEIGHT: Final[dict[str, int]] = {
    "14.71": 2200,
    "14.01": 1720,
    "14.08": 960,
    "14.03": 1160,
    "14.04": 1320,
    "14.72": 680,
    "13.71": 920,
    "13.73": 65,
    "13.06": 540,
    "13.05": 430,
    "15.71": 620,
    "15.05": 430,
    "15.09": 350,
    "21.71": 1250,
    "21.72": 230,
    "21.02": 260,
    "18.71": 1200,
    "18.02": 1500,
    "18.01": 1080,
    "53.71": 1150,
    "53.01": 925,
    "53.02": 1200,
    "53.04": 575,
    "53.07": 825,
    "53.10": 825,
    "31.75": 930,
    "31.72": 540,
}


def _build() -> tuple[
    tuple[Region, ...], tuple[Region, ...], tuple[Region, ...], tuple[Region, ...], list[int]
]:
    provinces = tuple(Region(code, name, "province", "") for code, name in _PROVINCE_ROWS)
    levels: dict[int, Level] = {5: "kabupaten", 8: "kecamatan", 13: "desa"}
    by_level: dict[Level, list[Region]] = {"kabupaten": [], "kecamatan": [], "desa": []}
    for code, name in _AREAS:
        level = levels[len(code)]
        by_level[level].append(Region(code, name, level, code.rsplit(".", 1)[0]))
    desa = by_level["desa"]
    desa_per_kabupaten: dict[str, int] = {}
    for d in desa:
        desa_per_kabupaten[d.code[:5]] = desa_per_kabupaten.get(d.code[:5], 0) + 1
    # Scaled by 1000 so the integer split of a kabupaten's weight loses nothing visible.
    desa_weights = [
        _KABUPATEN_WEIGHT[d.code[:5]] * 1000 // desa_per_kabupaten[d.code[:5]] for d in desa
    ]
    return (
        provinces,
        tuple(by_level["kabupaten"]),
        tuple(by_level["kecamatan"]),
        tuple(desa),
        desa_weights,
    )


_BUILT = _build()
PROVINCES: Final[tuple[Region, ...]] = _BUILT[0]
KABUPATEN: Final[tuple[Region, ...]] = _BUILT[1]
_KECAMATAN: Final[tuple[Region, ...]] = _BUILT[2]
_DESA: Final[tuple[Region, ...]] = _BUILT[3]

_BY_CODE: Final[dict[str, Region]] = {
    r.code: r for group in (PROVINCES, KABUPATEN, _KECAMATAN, _DESA) for r in group
}
_DESA_CODES: Final[tuple[str, ...]] = tuple(r.code for r in _DESA)
_DESA_CUM: Final[tuple[int, ...]] = tuple(accumulate(_BUILT[4]))
_DESA_TOTAL: Final[int] = _DESA_CUM[-1]
_KECAMATAN_OF_DESA: Final[tuple[str, ...]] = tuple(r.parent for r in _DESA)
del _BUILT


def all_kecamatan() -> tuple[Region, ...]:
    """Every kecamatan in the table."""
    return _KECAMATAN


def all_desa() -> tuple[Region, ...]:
    """Every desa/kelurahan in the table."""
    return _DESA


def _random_desa_index(rng: random.Random) -> int:
    # bisect over precomputed cumulative weights: far cheaper than rng.choices per call.
    return bisect_right(_DESA_CUM, int(rng.random() * _DESA_TOTAL))


def random_desa(rng: random.Random) -> str:
    """A desa/kelurahan code 'PP.KK.CC.DDDD', drawn with the population weights above."""
    return _DESA_CODES[_random_desa_index(rng)]


def random_kecamatan(rng: random.Random) -> str:
    """A kecamatan code 'PP.KK.CC' with the same weights (the region part of a NIK)."""
    return _KECAMATAN_OF_DESA[_random_desa_index(rng)]


def get_region(code: str) -> Region:
    """The table entry for an exact dotted code; KeyError if it is not in the table."""
    return _BY_CODE[code]


def region_name(code: str) -> str:
    """Name of the area with exactly this code; KeyError if it is not in the table."""
    return _BY_CODE[code].name


def province_name(code: str) -> str:
    """Name of the province containing ``code`` (any level); KeyError if unknown."""
    return _BY_CODE[code[:2]].name


def kabupaten_name(code: str) -> str:
    """Name of the kabupaten/kota containing ``code`` (kabupaten level or below)."""
    if len(code) < 5:
        raise KeyError(code)
    return _BY_CODE[code[:5]].name


def kecamatan_name(code: str) -> str:
    """Name of the kecamatan containing ``code`` (kecamatan level or below)."""
    if len(code) < 8:
        raise KeyError(code)
    return _BY_CODE[code[:8]].name
