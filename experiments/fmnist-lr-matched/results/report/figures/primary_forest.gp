# Primary contrasts: 1cycle / constant rate at equal mean effective LR
# written by curvtrack report: reads primary_forest.dat and writes primary_forest.svg and primary_forest.png.
# Restyle freely and regenerate with: gnuplot primary_forest.gp
set encoding utf8
set terminal svg size 860,500 dynamic noenhanced font 'Sans,12' background rgb 'white'
set output 'primary_forest.svg'
set datafile missing 'nan'
set title 'Primary contrasts: 1cycle / constant rate at equal mean effective LR'
set xlabel 'ratio 1cycle / constant rate (log scale; below 1: 1cycle flatter)'
set logscale x
set grid x
set key below
set xrange [0.6253064643:1.920699645]
set xtics ('0.7' 0.7, '0.8' 0.8, '1' 1, '1.25' 1.25, '1.5' 1.5)
set yrange [0.4:2.6]
set ytics ('normalised trace: 1cycle higher' 2, 'adaptive sharpness rho 0.05: inconclusive' 1)
set object 1 rect from 0.8, graph 0 to 1.25, graph 1 behind fillcolor rgb '#e8e8e8' fillstyle solid 1.0 noborder
set arrow 1 from 1, graph 0 to 1, graph 1 nohead lc rgb '#444444' lw 1.5
plot 'primary_forest.dat' index 0 using 3:1:6:7 with xerrorbars pt 7 ps 0 lw 1 lc rgb '#1b9e77' title 'Holm-level CI', \
     '' index 0 using 3:1:4:5 with xerrorbars pt 7 ps 1.4 lw 4 lc rgb '#1b9e77' title 'ratio, 95% CI', \
     '' index 0 using 8:($1-0.25):(0):(0.5) with vectors nohead dt 2 lw 2 lc rgb '#d95f02' title 'minimum detectable effect', \
     '' index 0 using 9:($1-0.25):(0):(0.5) with vectors nohead dt 2 lw 2 lc rgb '#d95f02' notitle
set terminal pngcairo size 1000,580 noenhanced font 'Sans,10' background rgb 'white'
set output 'primary_forest.png'
replot
unset output
